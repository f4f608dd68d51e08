/* The copy of the store a server writes at every clean stop (--backup-on-stop DIR): after
 * the last commit, while the data directory is still the server's, into
 * DIR/jobgrid-YYYYMMDDTHHMMSSZ.sqlite (mode 0600); the newest --backup-keep N stay.
 * `jobgrid restore FILE` puts one back (store_sqlite_restore). */
#ifndef JG_STOP_BACKUP_H
#define JG_STOP_BACKUP_H

struct server;

/* At start: DIR exists (made 0700 if missing) and is writable. 0, or -1 with *err. */
int stop_backup_check(const char *dir, char **err);
/* Before the store closes: have it copy itself to a temporary name in DIR. The name
 * (malloc'd), or NULL when the store cannot copy itself. */
char *stop_backup_begin(struct server *srv);
/* After it closed: give the copy its final name (atomic rename), say so, and remove the
 * oldest copies beyond the newest keep. tmp is freed. */
void stop_backup_finish(struct server *srv, char *tmp);
#endif
