/* Hygiene for starting a child process (fork or vfork, then exec): its signals and its
 * descriptors.
 *
 * The parent blocks every signal around the fork, so no signal can run one of the parent's
 * handlers in the child before it has reset them (after a vfork the child even shares the
 * parent's memory; a handler there would change the parent's state). The child resets every
 * disposition to the default — exec resets only the caught ones, and an ignored signal
 * (SIGPIPE, or a SIGHUP/SIGQUIT the parent inherited as ignored) would stay ignored in the
 * program — then unblocks everything. The parent restores its mask once fork returns.
 *
 * Everything meant to run in the child is async-signal-safe and allocates nothing, so it
 * may run after a vfork. */
#ifndef JG_SPAWN_H
#define JG_SPAWN_H
#include <signal.h>

/* Parent, before fork: block every signal; *old gets the mask to restore. */
void spawn_block_signals(sigset_t *old);
/* Parent, after fork (in the parent): restore the mask saved by spawn_block_signals. */
void spawn_restore_signals(const sigset_t *old);
/* Child: every signal's disposition back to the default, then an empty mask. */
void spawn_child_signals(void);
/* Child: mark every descriptor >= lowfd close-on-exec. close_range (Linux 5.11 for
 * CLOSE_RANGE_CLOEXEC), else spawn_cloexec_scan. 0, or -1 if a descriptor could not be
 * marked. */
int spawn_cloexec_from(int lowfd);
/* The fallback for older kernels: the descriptors listed in /proc/self/fd (read with
 * getdents64 into a stack buffer), or, without /proc, every number up to RLIMIT_NOFILE. */
int spawn_cloexec_scan(int lowfd);
#endif
