/* Test helpers that listen on 127.0.0.1:0 tell the test their port through a file, written
 * under a temporary name and renamed, so a reader never sees half a number. */
#ifndef JG_PORT_FILE_H
#define JG_PORT_FILE_H
#include <stdio.h>

/* 0, or -1 when the file cannot be written. */
static inline int port_file_write(const char *path, int port)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "%d\n", port);
	return fclose(f) != 0 || rename(tmp, path) != 0 ? -1 : 0;
}
#endif
