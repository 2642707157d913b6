#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of make shell (scripts/shell.sh copies it to
# /vm/shell.sh; vm-init.sh has loaded kmbox):
#   sh /vm/shell.sh tty ROWS COLS   an interactive shell on the serial
#                                   console, with job control (Ctrl-C)
#   sh /vm/shell.sh input TOKEN     a shell reading commands from the
#                                   console, without echo or prompt, to
#                                   the end of its input (Ctrl-D); says
#                                   "kmbox-shell: ready TOKEN" first
# Exits with the shell's status.

mode=$1
if [ "$mode" = tty ]; then
	echo "kmbox shell: Linux $(uname -r), kmbox loaded, kmboxctl and the examples in /vm/bin."
	echo "Try 'kmboxctl --help', 'pingpong', 'kmboxctl watch NAME &'.  'exit' or Ctrl-D powers off."
	export PS1='kmbox-vm:\w# '
	# A session of its own, whose controlling terminal is the console.
	setsid cttyhack sh -c "stty rows ${2:-24} cols ${3:-80} 2>/dev/null; exec sh -i"
else
	stty -F /dev/console -echo
	echo "kmbox-shell: ready $2"
	# From a pipe, not the terminal: a shell that reads a terminal is
	# interactive, with prompts.
	cat /dev/console | sh -s
fi
