/* test-win-dll.c: a program linked to libaserial-0.dll through its import
 * library (ASER_API is dllimport here), as Windows users would link it:
 * the DLL loads with nothing but itself beside the program (libgcc and
 * winpthread are inside), and a loop, a timer and the error table work. */
#include "aserial.h"
#include "wtap.h"

#include <string.h>

static int fired;

static void on_timer(void *arg)
{
    (void)arg;
    fired++;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    aser_loop *loop = NULL;
    wt_ok(aser_loop_new(&loop) == 0, "aser_loop_new through the DLL");
    aser_timer_start(loop, 10, on_timer, NULL, NULL);
    aser_loop_run(loop);
    wt_ok(fired == 1, "a timer fires on the DLL's loop");
    wt_ok(strcmp(aser_strerror(ASER_ETIMEDOUT), "operation timed out") == 0 &&
              strcmp(aser_err_name(ASER_ECONNREFUSED), "ASER_ECONNREFUSED") == 0,
          "the error table");
    aser_err err = {0};
    aser_pair *pr = NULL;
    int rc = aser_pair_open(loop, NULL, &pr, &err);
    wt_ok(rc == ASER_ENOTSUP && strstr(err.msg, "com0com"),
          "aser_pair_open: ASER_ENOTSUP naming com0com (%s)", err.msg);
    wt_ok(aser_loop_free(loop) == 0, "the loop frees");
    return wt_done();
}
