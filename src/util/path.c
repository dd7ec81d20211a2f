/* XDG paths and whole-file I/O. */
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *xdg_path(const char *env, const char *fallback, const char *name)
{
	const char *base = getenv(env);
	if (base && base[0] == '/')
		return util_strfmt("%s/briefing%s%s", base, name && *name ? "/" : "", name ? name : "");
	const char *home = getenv("HOME");
	if (!home || !*home) {
		errno = ENOENT;
		return NULL;
	}
	return util_strfmt("%s/%s/briefing%s%s", home, fallback, name && *name ? "/" : "",
			   name ? name : "");
}

char *util_path_data(const char *name)
{
	return xdg_path("XDG_DATA_HOME", ".local/share", name);
}

char *util_path_config(const char *name)
{
	return xdg_path("XDG_CONFIG_HOME", ".config", name);
}

int util_mkdir_p(const char *dir)
{
	if (!dir || !*dir) {
		errno = EINVAL;
		return -1;
	}
	char *p = util_strdup(dir);
	if (!p)
		return -1;
	size_t len = strlen(p);
	while (len > 1 && p[len - 1] == '/')
		p[--len] = '\0';
	for (char *s = p + 1;; s++) {
		int last = *s == '\0';
		if (*s != '/' && !last)
			continue;
		char save = *s;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			int e = errno;
			free(p);
			errno = e;
			return -1;
		}
		*s = save;
		if (last)
			break;
	}
	struct stat st;
	int r = stat(p, &st);
	free(p);
	if (r < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int util_mkdir_parent(const char *file)
{
	if (!file) {
		errno = EINVAL;
		return -1;
	}
	const char *slash = strrchr(file, '/');
	if (!slash)
		return 0;
	if (slash == file)
		return 0;
	char *dir = util_strndup(file, (size_t)(slash - file));
	if (!dir)
		return -1;
	int r = util_mkdir_p(dir);
	int e = errno;
	free(dir);
	errno = e;
	return r;
}

/* Read all of fd (closed here) into *out. */
static int read_fd(int fd, size_t max, char **out, size_t *len)
{
	struct util_buf b;
	util_buf_init(&b);
	for (;;) {
		if (util_buf_reserve(&b, 65536) < 0) {
			errno = ENOMEM;
			goto fail;
		}
		size_t room = b.cap - b.len - 1;
		ssize_t n = read(fd, b.data + b.len, room);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
		if (max && b.len > max) {
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	util_buf_cstr(&b);
	b.data[b.len] = '\0';
	if (len)
		*len = b.len;
	*out = util_buf_steal(&b);
	if (!*out) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
fail:;
	int e = errno;
	close(fd);
	util_buf_free(&b);
	errno = e;
	return -1;
}

int util_file_read(const char *path, size_t max, char **out, size_t *len)
{
	*out = NULL;
	if (len)
		*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	return read_fd(fd, max, out, len);
}

int util_file_read_regular(const char *path, size_t max, char **out, size_t *len)
{
	struct stat sb;

	*out = NULL;
	if (len)
		*len = 0;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		errno = S_ISDIR(sb.st_mode) ? EISDIR : UTIL_ENOTREG;
		return -1;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl != -1)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return read_fd(fd, max, out, len);
}

const char *util_file_strerror(int e)
{
	if (e == UTIL_ENOTREG)
		return "not a regular file (a FIFO, device or socket)";
	if (e == EFBIG)
		return "file too large";
	return strerror(e);
}

int util_file_write(const char *path, const void *data, size_t len)
{
	char *tmp = util_strfmt("%s.tmp.XXXXXX", path);
	if (!tmp) {
		errno = ENOMEM;
		return -1;
	}
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		errno = e;
		return -1;
	}
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t n = write(fd, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += n;
		left -= (size_t)n;
	}
	/* Keep an existing file's permissions; new files get 0644. */
	struct stat st;
	mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644;
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	free(tmp);
	return 0;
fail:;
	int e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	errno = e;
	return -1;
}
