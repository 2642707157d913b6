// SPDX-License-Identifier: MIT
/*
 * version: ask the loaded kmbox module which interface it speaks.
 *
 * The smallest libkmbox program.  kmbox_version() opens /dev/kmbox,
 * issues KMBOX_IOC_VERSION and returns the module's ABI version, or a
 * negative errno: libkmbox never reports an error through errno alone.
 */
#include <stdio.h>
#include <string.h>

#include <kmbox.h>

int main(void)
{
	int v = kmbox_version();

	if (v < 0) {
		fprintf(stderr, "version: kmbox_version: %s\n", strerror(-v));
		return 1;
	}
	printf("kmbox module ABI %d, this program was built for ABI %d: %s\n",
	       v, KMBOX_ABI_VERSION,
	       v == KMBOX_ABI_VERSION ? "compatible" : "MISMATCH");
	return v == KMBOX_ABI_VERSION ? 0 : 1;
}
