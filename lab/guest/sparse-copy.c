/*
 * sparse-copy: copies SRC to DST (the capture kernel's /proc/vmcore to the
 * lab's vmcore disk) in 1 MiB reads, leaving out every 4 KiB block that is
 * all zeros: DST must read as zeros where nothing is written (the lab's
 * disk is a new sparse file each run), so the host's copy keeps the holes
 * and the virtio-blk writes carry only what the dump holds. Prints the
 * bytes read and written. Exit 0 when SRC was read to its end and every
 * write and the final fsync succeeded; 1 otherwise, with the reason on
 * stderr.
 *
 * Built static for ppc64el by scripts/build-initramfs (busybox's dd has no
 * conv=sparse).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1024 * 1024)
#define BLOCK 4096

static char buf[CHUNK];

static int all_zero(const char* p, size_t n)
{
    return p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

static int write_all(int fd, const char* p, size_t n, off_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, off);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        off += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char** argv)
{
    unsigned long long read_bytes = 0, written = 0;
    off_t off = 0;
    int in, out;

    if (argc != 3) {
        fprintf(stderr, "usage: sparse-copy SRC DST\n");
        return 1;
    }
    in = open(argv[1], O_RDONLY);
    out = open(argv[2], O_WRONLY);
    if (in < 0 || out < 0) {
        fprintf(stderr, "sparse-copy: open %s: %s\n", in < 0 ? argv[1] : argv[2], strerror(errno));
        return 1;
    }
    for (;;) {
        ssize_t n = read(in, buf, CHUNK);
        size_t pos = 0;

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            fprintf(stderr, "sparse-copy: read at %lld: %s\n", (long long)off, strerror(errno));
            return 1;
        }
        if (n == 0) {
            break;
        }
        while (pos < (size_t)n) {
            size_t len = (size_t)n - pos < BLOCK ? (size_t)n - pos : BLOCK;
            size_t run = 0;

            if (all_zero(buf + pos, len)) {
                pos += len;
                continue;
            }
            /* A run of blocks that are not all zeros, written at once. */
            while (pos + run < (size_t)n) {
                size_t m = (size_t)n - pos - run < BLOCK ? (size_t)n - pos - run : BLOCK;

                if (run > 0 && all_zero(buf + pos + run, m)) {
                    break;
                }
                run += m;
            }
            if (write_all(out, buf + pos, run, off + (off_t)pos) != 0) {
                fprintf(stderr, "sparse-copy: write at %lld: %s\n", (long long)(off + (off_t)pos), strerror(errno));
                return 1;
            }
            written += run;
            pos += run;
        }
        off += n;
        read_bytes += (unsigned long long)n;
    }
    if (fsync(out) != 0) {
        fprintf(stderr, "sparse-copy: fsync: %s\n", strerror(errno));
        return 1;
    }
    printf("read=%llu written=%llu\n", read_bytes, written);
    return 0;
}
