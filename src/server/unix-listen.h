/* The server's Unix socket, DATA/jobgrid.sock (SPEC §9): local accounts reach the server
 * without a password and are identified by their peer credentials (auth/peer.h).
 *
 * Made at start (mode 0666: any local account may connect; who it is decides what it may
 * do), after the store took DATA's lock. A socket left by a crash is replaced; one that
 * answers (a server still running on it) refuses the start. DATA is made 0711: other
 * accounts may reach the socket by its name but cannot list DATA, and the store's files
 * are 0600 (store-sqlite.c). Removed at a clean stop, if it is still the one made. */
#ifndef JG_UNIX_LISTEN_H
#define JG_UNIX_LISTEN_H
#include <stdbool.h>
#include <sys/types.h>

struct unix_listener {
	char *path;		/* owned: DATA/jobgrid.sock */
	dev_t dev;		/* the socket file made, to remove only that one */
	ino_t ino;
};

/* Make and listen on DATA/jobgrid.sock. The socket (non-blocking, close-on-exec) with *ul
 * filled, or -1 with *err (malloc'd) naming the path and the reason; *too_long says that
 * the reason is a path longer than a socket's may be (the caller may serve without it).
 * Warns (log) when a directory above DATA keeps other accounts from reaching it. */
int unix_listen(const char *data_dir, struct unix_listener *ul, bool *too_long, char **err);

/* Remove the socket file if it is still the one unix_listen made; free ul->path. */
void unix_listen_remove(struct unix_listener *ul);
#endif
