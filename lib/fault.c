/* fault.c - fault points for the crash tests (AIRLOCK_TESTING builds only).
 * The counter is the one piece of mutable global state in the core, and it
 * exists only in the test build: a process-wide count is what "the N-th
 * point reached" means. */
#include "airlock/fault.h"

#ifdef AIRLOCK_TESTING
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "airlock/names.h"

static unsigned long fault_count;

static void fault_log(const char *name)
{
	const char *log = getenv("AIRLOCK_FAULT_LOG");
	if (log == NULL || *log == '\0')
		return;
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	size_t n = strlen(name);
	if (write(fd, name, n) == (ssize_t)n)
		(void)!write(fd, "\n", 1);
	close(fd);
}

void airlock_fault_point(const char *name)
{
	fault_count++;
	fault_log(name);
	const char *at = getenv("AIRLOCK_CRASH_AT");
	uint64_t n;
	if (at == NULL || airlock_parse_u64(at, UINT64_MAX, &n) != 0)
		return;
	if (n == fault_count)
		raise(SIGKILL);
}

int airlock_fault_truncate(const char *name)
{
	const char *want = getenv("AIRLOCK_FAULT_TRUNCATE");
	return want != NULL && strcmp(want, name) == 0;
}
#else
/* ISO C forbids an empty translation unit. */
typedef int airlock_fault_unused;
#endif
