/* netpeer.c: the aserial side of the interop tests (the scripts in test/net). Opens
 * URL with the blocking API, prints the capabilities, sends the 256 byte
 * values and expects them back (the peer echoes), optionally reconfigures
 * the baud rate and sends them again, reversed.
 *   netpeer URL [--configure BAUD]
 * Prints "open ok", "cap NAME STATE REASON", "echo N ok" / "echo N ..." and
 * "configure RC MESSAGE"; exits 0 only if everything came back exact. */
#include <aserial.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int echo_round(aser_port *p, int round, bool reversed)
{
    uint8_t out[256], in[256];
    for (int i = 0; i < 256; i++) out[i] = (uint8_t)(reversed ? 255 - i : i);
    int rc = aser_write_sync(p, out, sizeof out, 3000);
    if (rc < 0) {
        printf("echo %d write failed: %s\n", round, aser_port_errmsg(p));
        return 1;
    }
    ssize_t n = aser_read_exactly_sync(p, in, sizeof in, 5000);
    if (n != (ssize_t)sizeof in) {
        printf("echo %d short: %s (%s)\n", round, aser_strerror((int)n), aser_port_errmsg(p));
        return 1;
    }
    for (int i = 0; i < 256; i++)
        if (in[i] != out[i]) {
            printf("echo %d mismatch at %d: got %u, want %u\n", round, i, in[i], out[i]);
            return 1;
        }
    printf("echo %d ok\n", round);
    return 0;
}

static void print_caps(aser_port *p)
{
    static const char *const st[] = {"unknown", "supported", "unsupported"};
    for (int f = 0; f < ASER_FEAT_COUNT_; f++) {
        const char *why = NULL;
        aser_cap c = aser_port_cap(p, (aser_feature)f, &why);
        printf("cap %s %s %s\n", aser_feature_name((aser_feature)f), st[c], why ? why : "");
    }
}

int main(int argc, char **argv)
{
    if (argc != 2 && !(argc == 4 && !strcmp(argv[2], "--configure"))) {
        fprintf(stderr, "usage: netpeer URL [--configure BAUD]\n");
        return 2;
    }
    aser_port *p;
    aser_err err = {0};
    if (aser_open(NULL, argv[1], NULL, &p, &err) < 0) {
        printf("open failed: %s\n", err.msg);
        return 1;
    }
    printf("open ok\n");
    print_caps(p);
    int bad = echo_round(p, 1, false);
    if (argc == 4) {
        aser_config c;
        aser_port_config(p, &c);
        c.baud = (uint32_t)strtoul(argv[3], NULL, 10);
        int rc = aser_configure(p, &c, &err);
        printf("configure %d %s\n", rc, rc < 0 ? err.msg : "");
        bad |= rc < 0;
        bad |= echo_round(p, 2, true);
    }
    fflush(stdout);
    aser_close(p);
    return bad;
}
