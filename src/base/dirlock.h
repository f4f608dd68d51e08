/* An exclusive lock on a directory for the whole life of a process, so two servers never
 * share one data directory.
 *
 * The lock is an open file description lock (fcntl F_OFD_SETLK) on a file in the
 * directory: the kernel drops it when the descriptor closes, whichever way the process
 * ends, so a crashed holder never blocks the next start. The file is opened close-on-exec:
 * children the holder forks and execs do not keep it. The holder writes one line, "pid N
 * on host H since TIME", into the file, so a refusal can say who holds the directory.
 * The file is never removed: a process that opened it just before a removal would lock a
 * file nobody else can see. */
#ifndef JG_DIRLOCK_H
#define JG_DIRLOCK_H

struct dirlock;

/* Lock DIR/NAME (created when missing). Returns the lock, or NULL with *err (malloc'd):
 * "in use by another process: pid N on host H since TIME (lock file PATH)" when another
 * process has it, else why the file could not be opened or locked. */
struct dirlock *dirlock_take(const char *dir, const char *name, char **err);
/* Release the lock and free l (NULL is fine). */
void dirlock_release(struct dirlock *l);
#endif
