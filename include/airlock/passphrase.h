/* airlock/passphrase.h - passphrases for the command-line programs, read
 * from a file (automation) or from the controlling terminal with echo off.
 * Never from argv or the environment. The result lives in sodium_malloc
 * memory; release it with airlock_passphrase_free, which wipes it.
 *
 * These are the one place in the core that talks to a terminal: the
 * console (airlock-tui) asks in its own window and passes the text to the
 * core calls directly. */
#ifndef AIRLOCK_PASSPHRASE_H
#define AIRLOCK_PASSPHRASE_H

#include <stddef.h>

#include "airlock/error.h"

#define AIRLOCK_PASSPHRASE_MAX 1023   /* bytes, without the NUL */

/* Reads the first line of path (the newline, and a CR before it, are
 * stripped). The file must exist and the line must not be empty
 * (AIRLOCK_E_FAILED with a message and a hint otherwise); a line longer
 * than AIRLOCK_PASSPHRASE_MAX is refused. */
enum airlock_code airlock_passphrase_read_file(char **out, const char *path,
    struct airlock_err *err);

/* Prompts on /dev/tty and reads a line with echo off. With confirm set,
 * asks a second time and fails if the two differ (for new keys). An empty
 * passphrase is refused; the hint names the no-passphrase option.
 * AIRLOCK_E_FAILED when there is no terminal (hint: --passphrase-file). */
enum airlock_code airlock_passphrase_read_tty(char **out, const char *prompt, int confirm,
    struct airlock_err *err);

/* From file when it is not NULL, else from the terminal. */
enum airlock_code airlock_passphrase_get(char **out, const char *file, const char *prompt,
    int confirm, struct airlock_err *err);

/* Wipes and frees; NULL is a no-op. */
void airlock_passphrase_free(char *p);

#endif
