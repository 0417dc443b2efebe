/* cmd_bridge.c: aserial bridge URL_A URL_B [--trace]: forward bytes both
 * ways between any two endpoints (tty, rfc2217://, tcp://, and
 * tcp-listen://[HOST:]PORT, which waits for one client) until either side
 * closes. Backpressure, from the library's marks: a side whose write queue
 * passes half its high_water (or refuses a write, whose bytes are then
 * held here) stops the other side's stream; aser_on_writable() resumes it
 * at low_water. A slow endpoint slows the fast one instead of filling
 * memory, and nothing is dropped. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_MS 100u
#define DRAIN_MS 1000u

static const char usage_text[] =
    "usage: aserial bridge URL_A URL_B [--trace] [--config-a STR] [--config-b STR]\n"
    "  Forward bytes both ways between two endpoints until either side closes.\n"
    "  Endpoints: a tty path, usb:VID:PID, rfc2217://HOST:PORT, tcp://HOST:PORT,\n"
    "  tcp-listen://[HOST:]PORT (waits for one client; HOST defaults to\n"
    "  127.0.0.1), stdio: or - (standard input and output), or pty:[LINK] (a\n"
    "  new pseudo-terminal for programs that open a tty; the baud rate, stop\n"
    "  bits and flow they set are applied to the other side). Examples:\n"
    "    aserial bridge /dev/ttyUSB0 tcp-listen://0.0.0.0:4000\n"
    "    aserial bridge rfc2217://lab1:2000?baud=9600 /dev/pts/7 --trace\n"
    "    aserial bridge rfc2217://lab1:2000 pty:/tmp/ttyLAB   (then tio /tmp/ttyLAB)\n"
    "  --trace         print a timestamped hex dump of both directions and of\n"
    "                  modem-line changes (stdout)\n"
    "  --config-a STR  settings for A (e.g. 9600,8N1); --config-b for B\n"
    "                  (the full syntax: man aserial, CONFIG STRINGS)\n"
    "  Exit status: 0 when a side closes or on SIGINT/SIGTERM, 1 on an error.\n";

typedef struct side {
    const char *url;
    char name; /* 'A' or 'B' */
    aser_port *p;
    struct side *other;
    bool paused, ended;
    int status;
    size_t pause_at; /* half of this side's write_high_water */
    uint8_t *held;   /* a chunk for this side that its queue refused */
    size_t held_len;
} side;

static bool trace, shutting_down;
static int ended_status = 1; /* 1: nothing ended yet */

static void stamp(char *buf, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    snprintf(buf, cap, "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

static void dump(const side *from, const uint8_t *d, size_t n)
{
    char ts[32];
    stamp(ts, sizeof ts);
    printf("%s %c>%c %zu byte%s\n", ts, from->name, from->other->name, n, n == 1 ? "" : "s");
    for (size_t off = 0; off < n; off += 16) {
        char hex[16 * 3 + 1] = "", asc[17] = "";
        for (size_t i = 0; i < 16 && off + i < n; i++) {
            uint8_t b = d[off + i];
            snprintf(hex + i * 3, 4, "%02x ", b);
            asc[i] = b >= 0x20 && b < 0x7f ? (char)b : '.';
            asc[i + 1] = '\0';
        }
        printf("  %04zx  %-48s |%s|\n", off, hex, asc);
    }
    fflush(stdout);
}

static void print_lines(const side *s, int now)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{ASER_LINE_DTR, "DTR"}, {ASER_LINE_RTS, "RTS"}, {ASER_LINE_CTS, "CTS"},
                 {ASER_LINE_DSR, "DSR"}, {ASER_LINE_CD, "CD"},   {ASER_LINE_RI, "RI"}};
    char ts[32], buf[96] = "";
    stamp(ts, sizeof ts);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, sizeof buf - len, " %s%c", names[i].name,
                 (now & (int)names[i].bit) ? '+' : '-');
    }
    printf("%s %c lines:%s\n", ts, s->name, buf);
    fflush(stdout);
}

static void on_data(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx);

static void end_side(side *s, int status)
{
    if (s->ended || shutting_down) return;
    s->ended = true;
    s->status = status;
    bool clean = status == ASER_EDISCONNECTED || status == ASER_ECLOSED;
    if (clean)
        fprintf(stderr, "aserial bridge: %c (%s) closed\n", s->name, s->url);
    else
        fprintf(stderr, "aserial bridge: %c (%s): %s\n", s->name, s->url,
                aser_port_errmsg(s->p)[0] ? aser_port_errmsg(s->p) : aser_strerror(status));
    if (ended_status == 1) ended_status = clean ? 0 : 1;
    if (!clean) ended_status = 1;
}

static void pause_side(side *s)
{
    if (s->paused) return;
    s->paused = true;
    aser_on_data(s->p, NULL, NULL);
}

/* The side written to (to) is back at its low water: send what it
 * refused, then let the side feeding it stream again. */
static void on_writable(aser_port *p, size_t queued, void *ctx)
{
    side *to = ctx, *from = to->other;
    (void)p, (void)queued;
    if (to->held) {
        int rc = aser_write(to->p, to->held, to->held_len, NULL, NULL);
        if (rc == ASER_ENOBUFS) return; /* armed again: the next event retries */
        free(to->held);
        to->held = NULL;
        if (rc < 0) {
            end_side(to, rc);
            return;
        }
    }
    if (from->paused && !from->ended) {
        from->paused = false;
        aser_on_data(from->p, on_data, from);
    }
}

static void on_data(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    side *s = ctx;
    (void)p;
    if (status < 0) {
        end_side(s, status);
        return;
    }
    if (trace) dump(s, data, len);
    side *to = s->other;
    int rc = aser_write(to->p, data, len, NULL, NULL);
    if (rc == ASER_ENOBUFS && !to->held && (to->held = malloc(len))) {
        memcpy(to->held, data, len); /* kept, sent on writable: nothing lost */
        to->held_len = len;
        pause_side(s);
        return;
    }
    if (rc < 0) {
        end_side(to, rc);
        return;
    }
    if (aser_port_write_queued(to->p) > to->pause_at) pause_side(s);
}

static void on_lines(aser_port *p, unsigned lines, unsigned changed, unsigned errors, void *ctx)
{
    side *s = ctx;
    if (changed) print_lines(s, (int)lines);
    if (errors) {
        char ts[32];
        stamp(ts, sizeof ts);
        printf("%s %c line errors:%s%s%s%s\n", ts, s->name,
               errors & ASER_LINEERR_OVERRUN ? " overrun" : "",
               errors & ASER_LINEERR_PARITY ? " parity" : "",
               errors & ASER_LINEERR_FRAMING ? " framing" : "",
               errors & ASER_LINEERR_BREAK ? " break" : "");
        fflush(stdout);
    }
    (void)p;
}

/* --trace: the lines as they are now, then every change as an event. */
static void trace_lines(side *s)
{
    int now = aser_port_lines(s->p);
    if (now >= 0) print_lines(s, now);
    aser_on_lines(s->p, 0, on_lines, s); /* refused without modem lines: nothing to show */
}

static int open_side(aser_loop *loop, side *s, const char *config)
{
    aser_config cfg = ASER_CONFIG_DEFAULT;
    aser_err err = {0};
    if (config && cli_config("bridge", config, &cfg) < 0) return 2;
    if (aser_open(loop, s->url, &cfg, &s->p, &err) < 0) {
        cli_error("bridge", "%c: %s", s->name, err.msg);
        return 1;
    }
    if (!strncmp(s->url, "tcp-listen://", 13))
        fprintf(stderr, "aserial bridge: %c waits for a client on %s\n", s->name, s->url + 13);
    aser_port_config(s->p, &cfg);
    s->pause_at = cfg.write_high_water / 2;
    if (aser_on_writable(s->p, on_writable, s) < 0) return 1;
    return aser_on_data(s->p, on_data, s) < 0 ? 1 : 0;
}

static void finish(side *sd)
{
    /* Let what one side said before closing reach the other. */
    for (int i = 0; i < 2; i++) {
        if (!sd[i].p) continue;
        if (sd[i].held && !sd[i].ended) /* a refused chunk goes out last, if it fits */
            (void)aser_write(sd[i].p, sd[i].held, sd[i].held_len, NULL, NULL);
        if (sd[i].ended || aser_close_drain(sd[i].p, DRAIN_MS, NULL, NULL) < 0) aser_close(sd[i].p);
    }
}

static int run(aser_loop *loop, side *sd, const char *cfg_a, const char *cfg_b)
{
    int rc = open_side(loop, &sd[0], cfg_a);
    if (rc == 0) rc = open_side(loop, &sd[1], cfg_b);
    if (rc != 0) {
        aser_close(sd[0].p);
        aser_close(sd[1].p);
        return rc;
    }
    cli_follow_config("bridge", sd[0].p, sd[1].p); /* pty: settings reach the other side */
    cli_follow_config("bridge", sd[1].p, sd[0].p);
    if (trace) {
        trace_lines(&sd[0]);
        trace_lines(&sd[1]);
    }
    while (!cli_stop && !sd[0].ended && !sd[1].ended)
        if (aser_loop_run_once(loop, (int)POLL_MS) < 0) break;
    shutting_down = true;
    finish(sd);
    return cli_stop ? 0 : ended_status;
}

int aser_cmd_bridge(int argc, char **argv)
{
    const char *url[2] = {NULL, NULL}, *cfg_a = NULL, *cfg_b = NULL;
    if (cli_config_split("bridge", argc, argv) < 0) return 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (!strcmp(a, "--trace")) {
            trace = true;
        } else if (!strcmp(a, "--config-a") || !strcmp(a, "--config-b")) {
            if (i + 1 >= argc) {
                cli_error("bridge", "%s needs a value; see aserial help bridge", a);
                return 2;
            }
            *(a[9] == 'a' ? &cfg_a : &cfg_b) = argv[++i];
        } else if (a[0] == '-' && a[1]) { /* "-": stdio */
            static const char *const names[] = {"trace", "config-a", "config-b", "help"};
            cli_unknown_option("bridge", a, names, 4);
            return 2;
        } else if (url[0] && url[1]) {
            cli_error("bridge",
                      "unexpected \"%s\": a bridge joins two endpoints; see aserial "
                      "help bridge",
                      a);
            return 2;
        } else {
            url[url[0] ? 1 : 0] = a;
        }
    }
    if (!url[1]) {
        cli_missing("bridge", url[0] ? "URL_B, the second endpoint (tcp-listen://4000, pty:...)"
                                     : "URL_A and URL_B, the two endpoints to join");
        return 2;
    }
    side sd[2] = {{.url = url[0], .name = 'A'}, {.url = url[1], .name = 'B'}};
    sd[0].other = &sd[1];
    sd[1].other = &sd[0];
    aser_loop *loop;
    if (aser_loop_new(&loop) < 0) {
        cli_error("bridge", "cannot create an event loop");
        return 1;
    }
    cli_catch_signals();
    int rc = run(loop, sd, cfg_a, cfg_b);
    aser_loop_run(loop); /* the drains and closes finish (bounded by DRAIN_MS) */
    for (int i = 0; i < 500 && aser_loop_free(loop) == ASER_EBUSY; i++)
        aser_loop_run_once(loop, 10);
    free(sd[0].held);
    free(sd[1].held);
    return rc;
}
