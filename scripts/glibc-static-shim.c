/* Linked into static (+crt-static) cross builds only; see scripts/cross-build.sh.
 *
 * The libc crate asks for versioned glibc symbols on some architectures
 * (cfsetspeed@GLIBC_2.17 on arm64; the termios functions @GLIBC_2.0 on MIPS),
 * so that dynamically linked programs keep the termios ABI that glibc 2.42
 * changed. A static link has no symbol versions: libc.a only defines the
 * plain names, which are that same ABI in the glibc we link (2.36), so the
 * versioned references stay undefined. These aliases give the versioned
 * names to the plain functions. */
#include <termios.h>

#if defined(__aarch64__)
#define GLIBC_OLD "GLIBC_2.17"
#elif defined(__mips__)
#define GLIBC_OLD "GLIBC_2.0"
#endif

#ifdef GLIBC_OLD
#define ALIAS(ret, name, params, args)                                       \
  ret rgdbserver_static_##name params { return name args; }                  \
  __asm__(".symver rgdbserver_static_" #name ", " #name "@" GLIBC_OLD);

ALIAS(speed_t, cfgetispeed, (const struct termios *t), (t))
ALIAS(speed_t, cfgetospeed, (const struct termios *t), (t))
ALIAS(int, cfsetispeed, (struct termios *t, speed_t s), (t, s))
ALIAS(int, cfsetospeed, (struct termios *t, speed_t s), (t, s))
ALIAS(int, cfsetspeed, (struct termios *t, speed_t s), (t, s))
#if defined(__mips__)
ALIAS(int, tcgetattr, (int fd, struct termios *t), (fd, t))
ALIAS(int, tcsetattr, (int fd, int act, const struct termios *t), (fd, act, t))
#endif
#endif
