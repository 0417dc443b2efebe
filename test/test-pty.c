/* test-pty.c: the pty:[LINK] transport. A test plays the legacy program
 * on the slave (through the link): bytes flow both ways, the program's
 * setting changes come out as aser_on_config() events, and the port's own
 * settings reach the slave without being reported back. */
#define _GNU_SOURCE
#include "util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

typedef struct cfg_rec {
    int calls;
    aser_config cfg;
} cfg_rec;

static void on_config(aser_port *p, const aser_config *cfg, void *ctx)
{
    cfg_rec *r = ctx;
    (void)p;
    r->cfg = *cfg;
    r->calls++;
}

static aser_port *open_pty(aser_loop *loop, char *dir, char *link, size_t cap)
{
    aser_err err;
    char url[200];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(link, cap, "%s/tty", dir);
    snprintf(url, sizeof url, "pty:%s?baud=9600", link);
    aser_port *p;
    CHECKM(aser_open(loop, url, NULL, &p, &err) == 0, "%s", err.msg);
    return p;
}

TEST_T(pty, bytes_flow_through_the_link, 30)
{
    aser_loop *loop = ut_loop_new();
    char dir[] = "/tmp/aser-pty-XXXXXX", link[128], target[64] = {0};
    aser_port *p = open_pty(loop, dir, link, sizeof link);
    CHECK(readlink(link, target, sizeof target - 1) > 0);
    CHECK_STR(target, aser_port_path(p));
    int s = open(link, O_RDWR | O_NOCTTY | O_NONBLOCK);
    CHECK(s >= 0);
    struct termios t;
    CHECK_EQ(tcgetattr(s, &t), 0);
    CHECK_EQ(cfgetospeed(&t), B9600); /* the URL's settings are on the slave */
    CHECK(!(t.c_lflag & ICANON));     /* raw */
    ut_write_all(s, "*IDN?\r", 6);
    ut_rec *r = calloc(1, sizeof *r);
    CHECK(aser_read_until(p, "\r", 1, 64, 5000, ut_on_read, r) > 0);
    ut_run_until(loop, &r->calls, 5000);
    CHECK_EQ(r->status, 0);
    CHECK_MEM(r->data, "*IDN?", 5);
    CHECK(aser_write(p, "ACME\r\n", 6, NULL, NULL) >= 0);
    ut_run_for(loop, 20);
    char buf[8];
    CHECK_EQ(ut_read_n(s, buf, 6, 2000), 6);
    CHECK_MEM(buf, "ACME\r\n", 6);
    close(s); /* the program leaves: the port stays up */
    r->calls = 0;
    CHECK(aser_write(p, "x", 1, NULL, NULL) >= 0);
    CHECK(aser_read(p, 16, 300, ut_on_read, r) > 0);
    ut_run_until(loop, &r->calls, 2000);
    CHECK_EQ(r->status, ASER_ETIMEDOUT);
    aser_close(p);
    ut_run_for(loop, 10);
    struct stat st;
    CHECK(lstat(link, &st) < 0); /* the link went with the port */
    rmdir(dir);
    ut_loop_free(loop);
    free(r);
}

TEST_T(pty, the_programs_setting_changes_are_reported, 30)
{
    aser_loop *loop = ut_loop_new();
    char dir[] = "/tmp/aser-pty-XXXXXX", link[128];
    aser_port *p = open_pty(loop, dir, link, sizeof link);
    cfg_rec rec = {0};
    CHECK_EQ(aser_on_config(p, on_config, &rec), 0);
    int s = open(link, O_RDWR | O_NOCTTY | O_NONBLOCK);
    CHECK(s >= 0);
    struct termios t;
    CHECK_EQ(tcgetattr(s, &t), 0);
    cfsetspeed(&t, B19200);
    t.c_cflag |= CSTOPB | CRTSCTS;
    CHECK_EQ(tcsetattr(s, TCSANOW, &t), 0);
    ut_run_until(loop, &rec.calls, 2000); /* within the 100 ms poll */
    CHECK_EQ(rec.calls, 1);
    CHECK_EQ(rec.cfg.baud, 19200);
    CHECK_EQ(rec.cfg.stop_bits, ASER_STOP_2);
    CHECK_EQ(rec.cfg.flow, ASER_FLOW_RTSCTS);
    aser_config now;
    aser_port_config(p, &now);
    CHECK_EQ(now.baud, 19200); /* recorded */
    /* the port's own change reaches the slave and is not reported back */
    aser_err err;
    now.baud = 57600;
    now.flow = ASER_FLOW_NONE;
    now.stop_bits = ASER_STOP_1;
    CHECKM(aser_configure(p, &now, &err) == 0, "%s", err.msg);
    ut_run_for(loop, 300);
    CHECK_EQ(rec.calls, 1);
    CHECK_EQ(tcgetattr(s, &t), 0);
    CHECK_EQ(cfgetospeed(&t), B57600);
    CHECK(!(t.c_cflag & (CSTOPB | CRTSCTS)));
    /* nothing changed: nothing reported */
    CHECK_EQ(tcsetattr(s, TCSANOW, &t), 0);
    ut_run_for(loop, 300);
    CHECK_EQ(rec.calls, 1);
    close(s);
    aser_close(p);
    ut_run_for(loop, 10);
    rmdir(dir);
    ut_loop_free(loop);
}

TEST(pty, a_link_over_a_file_is_refused)
{
    aser_loop *loop = ut_loop_new();
    char dir[] = "/tmp/aser-pty-XXXXXX", link[128], url[200];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(link, sizeof link, "%s/file", dir);
    int f = open(link, O_CREAT | O_WRONLY, 0600);
    CHECK(f >= 0);
    close(f);
    snprintf(url, sizeof url, "pty:%s", link);
    aser_port *p;
    aser_err err;
    CHECK_EQ(aser_open(loop, url, NULL, &p, &err), ASER_EEXIST);
    CHECK_CONTAINS(err.msg, "exists and is not a symlink");
    unlink(link);
    rmdir(dir);
    ut_loop_free(loop);
}
