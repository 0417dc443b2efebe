/* modbus-peer.c: a real Modbus RTU server (libmodbus, not aserial) on a
 * virtual serial line, for the modbus_rtu example's test.
 *
 *   modbus-peer LINK [CORRUPT_N]
 *
 * Two pseudo-terminals: the client's (LINK becomes a symlink to its slave
 * side: open it with aser_open) and the server's (libmodbus opens its slave
 * with modbus_new_rtu + modbus_connect, answers with modbus_receive +
 * modbus_reply on a thread, slave id 17, 9600 8N1). Between the two
 * masters a forwarder copies bytes both ways; with CORRUPT_N it flips one
 * bit of the reply to the N-th request (its 4th byte, the first register),
 * so the reply's CRC no longer matches. Holding register i holds
 * 0x1000 + 3 * i (printed at start). Prints "ready LINK" once serving;
 * exits when stdin closes or after 30 s, removing LINK. Nothing here uses
 * libaserial: the peer shares no code with what it tests. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <modbus.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define NREGS 32
#define SLAVE 17

static int open_pty(char *path, size_t cap)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, path, cap) != 0) {
        perror("modbus-peer: pty");
        exit(1);
    }
    /* raw on the slave side, so neither side's bytes are translated */
    int s = open(path, O_RDWR | O_NOCTTY);
    struct termios t;
    if (s < 0 || tcgetattr(s, &t) < 0) {
        perror("modbus-peer: pty slave");
        exit(1);
    }
    cfmakeraw(&t);
    tcsetattr(s, TCSANOW, &t);
    close(s);
    return m;
}

static void *serve(void *arg)
{
    modbus_t *ctx = arg;
    modbus_mapping_t *map = modbus_mapping_new(0, 0, NREGS, 0);
    if (!map) return NULL;
    for (int i = 0; i < NREGS; i++) map->tab_registers[i] = (uint16_t)(0x1000 + 3 * i);
    uint8_t req[MODBUS_RTU_MAX_ADU_LENGTH];
    for (;;) {
        int rc = modbus_receive(ctx, req);
        if (rc > 0)
            modbus_reply(ctx, req, rc, map);
        else if (rc < 0 && errno != EMBBADCRC && errno != ETIMEDOUT && errno != EMBBADDATA)
            break; /* the line is gone */
    }
    modbus_mapping_free(map);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: modbus-peer LINK [CORRUPT_N]\n");
        return 2;
    }
    const char *link = argv[1];
    int corrupt = argc > 2 ? atoi(argv[2]) : 0;
    char cpath[128], spath[128];
    int mc = open_pty(cpath, sizeof cpath), ms = open_pty(spath, sizeof spath);
    /* the server's slave stays open here too, so the line never hangs up */
    int keep = open(spath, O_RDWR | O_NOCTTY);
    modbus_t *ctx = modbus_new_rtu(spath, 9600, 'N', 8, 1);
    if (keep < 0 || !ctx || modbus_set_slave(ctx, SLAVE) < 0 || modbus_connect(ctx) < 0) {
        fprintf(stderr, "modbus-peer: libmodbus on %s: %s\n", spath, modbus_strerror(errno));
        return 1;
    }
    pthread_t th;
    pthread_create(&th, NULL, serve, ctx);
    unlink(link);
    if (symlink(cpath, link) < 0) {
        perror("modbus-peer: symlink");
        return 1;
    }
    printf("peer holds:");
    for (int i = 0; i < 10; i++) printf(" %u", 0x1000 + 3 * i);
    printf(" ...\nready %s\n", link);
    fflush(stdout);

    int requests = 0, reply_bytes = -1;
    time_t end = time(NULL) + 30;
    while (time(NULL) < end) {
        struct pollfd pf[3] = {{mc, POLLIN, 0}, {ms, POLLIN, 0}, {0, POLLIN, 0}};
        if (poll(pf, 3, 200) < 0 && errno != EINTR) break;
        uint8_t b[512];
        if (pf[2].revents) {
            if (read(0, b, sizeof b) <= 0) break; /* the test closed our stdin */
        }
        if (pf[0].revents & POLLIN) { /* client -> server: count requests (8 bytes each) */
            ssize_t n = read(mc, b, sizeof b);
            if (n > 0) {
                static int pending;
                pending += (int)n;
                while (pending >= 8) {
                    pending -= 8;
                    if (++requests == corrupt) reply_bytes = 0;
                }
                if (write(ms, b, (size_t)n) != n) break;
            }
        }
        if (pf[1].revents & POLLIN) { /* server -> client */
            ssize_t n = read(ms, b, sizeof b);
            for (ssize_t i = 0; reply_bytes >= 0 && i < n; i++, reply_bytes++) {
                if (reply_bytes == 3) {
                    b[i] ^= 0x01;
                    printf("flipped a bit of the reply to request %d\n", requests);
                    fflush(stdout);
                    reply_bytes = -2;
                    break;
                }
            }
            if (n > 0 && write(mc, b, (size_t)n) != n) break;
        }
    }
    unlink(link);
    return 0; /* the server thread dies with the process */
}
