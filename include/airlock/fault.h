/* airlock/fault.h - fault injection for the crash tests, compiled in only
 * when AIRLOCK_TESTING is defined (the SAN=1 test build). Elsewhere every
 * call compiles to nothing.
 *
 * airlock_fault_point("commit.rename") marks a place where a crash must be
 * survivable. With AIRLOCK_CRASH_AT=N in the environment, the N-th point
 * reached in the process raises SIGKILL there. AIRLOCK_FAULT_LOG=FILE
 * appends the name of every point reached to FILE (one per line), so a test
 * can count the points of an import and name the one it killed at. */
#ifndef AIRLOCK_FAULT_H
#define AIRLOCK_FAULT_H

#ifdef AIRLOCK_TESTING
void airlock_fault_point(const char *name);
/* 1 if AIRLOCK_FAULT_TRUNCATE names this point: a test asks the caller to
 * simulate a medium that vanishes (the caller then truncates its source). */
int airlock_fault_truncate(const char *name);
#else
#define airlock_fault_point(name) ((void)0)
#define airlock_fault_truncate(name) 0
#endif

#endif
