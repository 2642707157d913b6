# SPDX-License-Identifier: GPL-2.0
"""
kmboxdoc: Sphinx directives and roles for kmbox's Documentation/.

``.. kmbox-api:: ../userlib/kmbox.h``
    The API of a C header, from its kernel-doc comments (``/** ... */``
    before a function, a struct, or ``DOC: title`` for prose): each
    function as a C-domain declaration with its parameters and return
    value, each struct with its members.  A function the header declares
    without such a comment, a comment that names something other than
    what follows it, or a parameter left out is a warning (an error for
    make htmldocs), so the page cannot fall behind the header.

``.. kmbox-examples:: ../examples``
    Every program of examples/Makefile's PROGS, in that order: a section
    (label ``example-NAME``) titled by the first sentence of its comment,
    and its source.

``:kmbox-src:`module/mailbox.c:kmbox_mailbox_send```
    A place in the source: the file must exist in the tree and, when a
    function is named, define it; otherwise a warning.

``:kmbox-example:`backpressure```
    The example examples/NAME.c (which must exist), linked to its
    section of the examples page (label ``example-NAME``).
"""
import os
import re

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)

# The tree's top, from Documentation/sphinx/.
TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

COMMENT = re.compile(r"/\*\*\n(.*?)\*/\n(.*?)(?=\n\n|\n/\*|\Z)", re.S)
# What the header may mark up in prose, and what it becomes in rst.
INLINE = re.compile(r"@(\w+)|(kmbox_\w+)\(\)|(KMBOX_[A-Z0-9_]+\*?)"
                    r"|(-E[A-Z0-9]+)|(/dev/kmbox)|%(\w+)|([*|\\])")


def inline(text):
    """kernel-doc prose as rst: @param, func(), constants, errnos."""
    def one(m):
        param, func, const, errno, path, pct, special = m.groups()
        if special:
            return "\\" + special
        if func:
            out = ":c:func:`%s`" % func
        else:
            out = "``%s``" % (param or const or errno or path or pct)
        # rst wants markup set off by a space or punctuation: where the
        # text has none, an escaped space, which shows as nothing.
        before = m.string[m.start() - 1:m.start()]
        after = m.string[m.end():m.end() + 1]
        if before and not before.isspace() and before not in "'\"([{<-/:":
            out = "\\ " + out
        if after and not after.isspace() and after not in "'\")]}>-/:.,;!?":
            out += "\\ "
        return out
    return INLINE.sub(one, text)


def paragraphs(lines):
    """Lines into paragraphs (joined), split at blank lines."""
    out, cur = [], []
    for line in lines + [""]:
        if line.strip():
            cur.append(line.strip())
        elif cur:
            out.append(" ".join(cur))
            cur = []
    return out


def parse_comment(body):
    """A kernel-doc comment: (title line, {param: text}, [paragraphs],
    return text or None)."""
    lines = [re.sub(r"^ ?\* ?", "", ln) for ln in body.rstrip().split("\n")]
    title = lines[0].strip()
    i = 1
    # A long title goes on in indented lines.
    while i < len(lines) and lines[i][:1] in ("\t", " ") and lines[i].strip():
        title += " " + lines[i].strip()
        i += 1
    params, order = {}, []
    while i < len(lines):
        m = re.match(r"@(\w+):\s*(.*)", lines[i])
        if not m:
            break
        text = [m.group(2)]
        i += 1
        # A parameter's text goes on in indented lines.
        while i < len(lines) and lines[i][:1] in ("\t", " ") and lines[i].strip():
            text.append(lines[i].strip())
            i += 1
        params[m.group(1)] = " ".join(text)
        order.append(m.group(1))
    rest = lines[i:]
    ret = None
    for j, line in enumerate(rest):
        if line.startswith("Return:"):
            ret = " ".join(x.strip() for x in [line[len("Return:"):]] + rest[j + 1:]
                           if x.strip())
            rest = rest[:j]
            break
    return title, [(p, params[p]) for p in order], paragraphs(rest), ret


class KmboxApi(Directive):
    required_arguments = 1

    def warn(self, msg):
        logger.warning("%s: %s" % (self.arguments[0], msg),
                       location=(self.state.document.settings.env.docname,
                                 self.lineno))

    def function(self, title, params, paras, ret, decl):
        proto = " ".join(decl.split()).rstrip(";")
        m = re.match(r"[\w\s*]*?(\w+)\((.*)\)$", proto)
        if not m:
            self.warn("cannot read the declaration after '%s': %s" % (title, proto))
            return []
        name, args = m.group(1), m.group(2)
        if not title.startswith(name + "()"):
            self.warn("the comment '%s' is not about %s()" % (title, name))
        names = [re.split(r"[\s*]+", a.strip())[-1] for a in args.split(",")
                 if a.strip() not in ("", "void")]
        documented = [p for p, _ in params]
        if names != documented:
            self.warn("%s(): parameters %s, documented %s" % (name, names, documented))
        out = [".. c:function:: " + proto, ""]
        summary = title.split(" - ", 1)[1] if " - " in title else ""
        out += ["   " + inline(summary[:1].upper() + summary[1:]) + ".", ""]
        for p in paras:
            out += ["   " + inline(p), ""]
        for p, text in params:
            out.append("   :param %s: %s" % (p, inline(text)))
        if ret:
            out.append("   :return: " + inline(ret))
        return out + [""]

    def struct(self, title, params, paras, decl):
        m = re.match(r"struct (\w+) \{(.*)\};", decl.strip(), re.S)
        if not m or not title.startswith("struct %s " % m.group(1)):
            self.warn("the comment '%s' is not about the struct after it" % title)
            return []
        out = [".. c:struct:: " + m.group(1), ""]
        summary = title.split(" - ", 1)[1] if " - " in title else ""
        out += ["   " + inline(summary[:1].upper() + summary[1:]) + ".", ""]
        for p in paras:
            out += ["   " + inline(p), ""]
        for member in m.group(2).strip().split("\n"):
            mm = re.match(r"\s*(.*?);\s*(?:/\*\s*(.*?)\s*\*/)?$", member)
            if not mm:
                continue
            out += ["   .. c:member:: " + mm.group(1), ""]
            if mm.group(2):
                out += ["      " + inline(mm.group(2)), ""]
        return out

    def run(self):
        env = self.state.document.settings.env
        path = os.path.normpath(os.path.join(env.srcdir, self.arguments[0]))
        env.note_dependency(path)
        with open(path) as f:
            text = f.read()
        out, seen = [], set()
        for m in COMMENT.finditer(text):
            title, params, paras, ret = parse_comment(m.group(1))
            decl = m.group(2)
            if title.startswith("DOC:"):
                out += [".. rubric:: " + title[4:].strip(), ""]
                for p in paras:
                    out += [inline(p), ""]
            elif title.startswith("struct "):
                out += self.struct(title, params, paras, decl)
            else:
                out += self.function(title, params, paras, ret, decl)
                seen.add(title.split("()")[0])
        # Every function the header declares has its comment.
        for name in re.findall(r"^[a-z_ ]*[ *](kmbox_\w+)\(", text, re.M):
            if name not in seen:
                self.warn("%s() has no kernel-doc comment" % name)
        node = nodes.section()
        node.document = self.state.document
        self.state.nested_parse(StringList(out, path), self.content_offset, node)
        return node.children


class KmboxExamples(Directive):
    """The programs of examples/, in the order of examples/Makefile's
    PROGS: for each a section (label example-NAME) titled by the first
    sentence of its comment, how to run it, and its source."""
    required_arguments = 1

    def run(self):
        env = self.state.document.settings.env
        folder = os.path.normpath(os.path.join(env.srcdir, self.arguments[0]))
        makefile = os.path.join(folder, "Makefile")
        env.note_dependency(makefile)
        with open(makefile) as f:
            # Make's line continuations joined first.
            text = re.sub(r"\\\n", " ", f.read())
            progs = re.search(r"^PROGS\s*:=\s*(.*)$", text, re.M).group(1).split()
        out = []
        for name in progs:
            src = os.path.join(folder, name + ".c")
            env.note_dependency(src)
            with open(src) as f:
                head = f.read()
            # The comment's text, its lines joined.
            comment = " ".join(ln.strip(" *") for ln in
                               head.split("/*", 1)[-1].split("*/", 1)[0].split("\n"))
            m = re.match(r"\s*%s: (.*?\.)(?:\s|$)" % re.escape(name), comment)
            if not m:
                logger.warning("examples/%s.c: no \" * %s: ...\" line" % (name, name),
                               location=(env.docname, self.lineno))
                continue
            title = "%s: %s" % (name, m.group(1))
            out += [".. _example-%s:" % name, "", title, "-" * len(title), "",
                    "``make run PROG=examples/%s.c`` compiles and runs it in the VM;"
                    " ``make demo`` runs them all." % name, "",
                    ".. literalinclude:: %s" % os.path.relpath(src, os.path.dirname(
                        env.doc2path(env.docname))),
                    "   :language: c", ""]
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(out, makefile), node)
        return node.children


def src_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """:kmbox-src:`path[:function]`, checked against the tree."""
    path, _, func = text.partition(":")
    full = os.path.join(TOP, path)
    shown = path + (": %s()" % func if func else "")
    msgs = []
    if not os.path.isfile(full):
        msgs.append(inliner.reporter.warning("kmbox-src: no file %s" % path, line=lineno))
        return [nodes.literal(rawtext, shown)], msgs
    inliner.document.settings.env.note_dependency(full)
    if func:
        with open(full) as f:
            src = f.read()
        if not re.search(r"^\w[^;=]*\b%s\(" % re.escape(func), src, re.M):
            msgs.append(inliner.reporter.warning(
                "kmbox-src: %s does not define %s()" % (path, func), line=lineno))
    return [nodes.literal(rawtext, shown)], msgs


def example_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """:kmbox-example:`name`: examples/name.c, linked to its section."""
    msgs = []
    if not os.path.isfile(os.path.join(TOP, "examples", text + ".c")):
        msgs.append(inliner.reporter.warning("kmbox-example: no examples/%s.c" % text,
                                             line=lineno))
    ref = addnodes.pending_xref(rawtext, refdomain="std", reftype="ref",
                                reftarget="example-" + text, refexplicit=True,
                                refwarn=True)
    ref += nodes.literal(rawtext, "examples/%s.c" % text)
    return [ref], msgs


def setup(app):
    app.add_directive("kmbox-api", KmboxApi)
    app.add_directive("kmbox-examples", KmboxExamples)
    app.add_role("kmbox-src", src_role)
    app.add_role("kmbox-example", example_role)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
