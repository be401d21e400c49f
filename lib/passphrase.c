/* passphrase.c - passphrases from a file or from the terminal, echo off,
 * into guarded memory. */
#include "airlock/passphrase.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* One byte more than the longest passphrase, plus room to see the newline. */
#define BUF_LEN (AIRLOCK_PASSPHRASE_MAX + 2)

void airlock_passphrase_free(char *p)
{
	if (p != NULL)
		sodium_free(p);   /* wipes before freeing */
}

static char *secure_buffer(struct airlock_err *err)
{
	char *p = sodium_malloc(BUF_LEN);
	if (p == NULL) {
		airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory for the passphrase");
		return NULL;
	}
	memset(p, 0, BUF_LEN);
	return p;
}

/* Reads one line from fd byte by byte (so nothing past the newline is
 * consumed and no stdio buffer holds a copy). Returns the length, or -1
 * (too long or read error, errno kept). *ended tells whether a newline or
 * end of file ended it. */
static ssize_t read_line(int fd, char *buf, int *saw_newline)
{
	size_t n = 0;
	*saw_newline = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		if (c == '\n') {
			*saw_newline = 1;
			break;
		}
		if (n >= AIRLOCK_PASSPHRASE_MAX) {
			errno = EMSGSIZE;
			return -1;
		}
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return (ssize_t)n;
}

enum airlock_code airlock_passphrase_read_file(char **out, const char *path,
    struct airlock_err *err)
{
	int nl;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot open passphrase file '%s'", path);
		airlock_hint(err, "check the path given to --passphrase-file");
		return err->code;
	}
	char *p = secure_buffer(err);
	if (p == NULL) {
		close(fd);
		return err->code;
	}
	ssize_t n = read_line(fd, p, &nl);
	int saved = errno;
	close(fd);
	if (n < 0 && saved == EMSGSIZE)
		airlock_fail(err, AIRLOCK_E_FAILED, "the passphrase in '%s' is longer than %d bytes",
		    path, AIRLOCK_PASSPHRASE_MAX);
	else if (n < 0)
		airlock_fail_errno(err, AIRLOCK_E_FAILED, saved, "cannot read passphrase file '%s'", path);
	else if (n == 0)
		airlock_fail(err, AIRLOCK_E_FAILED, "the first line of passphrase file '%s' is empty", path);
	if (n <= 0) {
		airlock_hint(err, "put the passphrase on the first line of the file");
		sodium_free(p);
		return err->code;
	}
	*out = p;
	return AIRLOCK_OK;
}

/* Echo off on the terminal for the duration of one prompt. */
static enum airlock_code prompt_once(int tty, const char *prompt, char *buf,
    struct airlock_err *err)
{
	struct termios old, quiet;
	int nl;
	if (tcgetattr(tty, &old) != 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot set up the terminal");
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(tty, TCSAFLUSH, &quiet) != 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot turn terminal echo off");
	(void)!write(tty, prompt, strlen(prompt));
	ssize_t n = read_line(tty, buf, &nl);
	int saved = errno;
	tcsetattr(tty, TCSAFLUSH, &old);
	(void)!write(tty, "\n", 1);
	if (n < 0 && saved == EMSGSIZE)
		return airlock_fail(err, AIRLOCK_E_FAILED, "the passphrase is longer than %d bytes",
		    AIRLOCK_PASSPHRASE_MAX);
	if (n < 0)
		return airlock_fail_errno(err, AIRLOCK_E_FAILED, saved, "cannot read the passphrase");
	if (n == 0) {
		airlock_fail(err, AIRLOCK_E_FAILED, "empty passphrase");
		airlock_hint(err, "type a passphrase, or make a key without one (--no-passphrase)");
		return err->code;
	}
	return AIRLOCK_OK;
}

static enum airlock_code prompt_twice(int tty, const char *prompt, char *p,
    struct airlock_err *err)
{
	char *again = secure_buffer(err);
	if (again == NULL)
		return err->code;
	if (prompt_once(tty, prompt, p, err) == AIRLOCK_OK &&
	    prompt_once(tty, "Repeat the passphrase: ", again, err) == AIRLOCK_OK &&
	    strcmp(p, again) != 0) {
		airlock_fail(err, AIRLOCK_E_FAILED, "the two passphrases differ");
		airlock_hint(err, "run the command again and type the same passphrase twice");
	}
	sodium_free(again);
	return err->code;
}

enum airlock_code airlock_passphrase_read_tty(char **out, const char *prompt, int confirm,
    struct airlock_err *err)
{
	int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty < 0) {
		airlock_fail_errno(err, AIRLOCK_E_FAILED, errno,
		    "cannot read a passphrase: no terminal");
		airlock_hint(err, "give the passphrase with --passphrase-file FILE");
		return err->code;
	}
	char *p = secure_buffer(err);
	if (p != NULL) {
		if (confirm)
			prompt_twice(tty, prompt, p, err);
		else
			prompt_once(tty, prompt, p, err);
	}
	close(tty);
	if (err->code != AIRLOCK_OK) {
		airlock_passphrase_free(p);
		return err->code;
	}
	*out = p;
	return AIRLOCK_OK;
}

enum airlock_code airlock_passphrase_get(char **out, const char *file, const char *prompt,
    int confirm, struct airlock_err *err)
{
	if (file != NULL)
		return airlock_passphrase_read_file(out, file, err);
	return airlock_passphrase_read_tty(out, prompt, confirm, err);
}
