/* transport/mqtt_resolve.c: see mqtt_resolve.h. One detached thread per
 * lookup, as connect.c does for the other network transports; a job whose
 * caller went away is freed when its answer arrives. */
#define _GNU_SOURCE
#include "transport/mqtt_resolve.h"

#include "os/socket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef ASER_OS_UNIX
#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <unistd.h>

struct aser_mqtt_job {
    aser_loop *loop;
    aser_mqtt_resolved_fn fn; /* NULL once abandoned; touched on the loop only */
    void *arg;
    char host[256], addr[64], why[160];
    bool ok;
};

bool aser__mqtt_numeric(const char *host)
{
    unsigned char b[16];
    return inet_pton(AF_INET, host, b) == 1 || inet_pton(AF_INET6, host, b) == 1;
}

static void delivered(void *arg)
{
    aser_mqtt_job *j = arg;
    aser__loop_unref(j->loop);
    if (j->fn) j->fn(j->arg, j->ok ? j->addr : NULL, j->why);
    free(j);
}

static void *run(void *arg)
{
    aser_mqtt_job *j = arg;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int g = getaddrinfo(j->host, NULL, &hints, &res);
    if (g == 0 && res &&
        getnameinfo(res->ai_addr, res->ai_addrlen, j->addr, sizeof j->addr, NULL, 0,
                    NI_NUMERICHOST) == 0)
        j->ok = true;
    else
        snprintf(j->why, sizeof j->why, "cannot resolve the broker \"%.64s\": %s", j->host,
                 g ? gai_strerror(g) : "no address");
    if (res) freeaddrinfo(res);
    while (aser_loop_post(j->loop, delivered, j) == ASER_ENOBUFS) usleep(1000);
    return NULL;
}

aser_mqtt_job *aser__mqtt_resolve(aser_loop *loop, const char *host, aser_mqtt_resolved_fn fn,
                                  void *arg)
{
    aser_mqtt_job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    *j = (aser_mqtt_job){.loop = loop, .fn = fn, .arg = arg};
    snprintf(j->host, sizeof j->host, "%s", host);
    pthread_attr_t at;
    pthread_t t;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    aser__loop_ref(loop);
    int e = pthread_create(&t, &at, run, j);
    pthread_attr_destroy(&at);
    if (e != 0) {
        aser__loop_unref(loop);
        free(j);
        return NULL;
    }
    return j;
}

void aser__mqtt_resolve_abandon(aser_mqtt_job *job)
{
    if (job) job->fn = NULL;
}

#else /* Windows: no MQTT there yet; names go to libmosquitto as they are */

bool aser__mqtt_numeric(const char *host)
{
    (void)host;
    return true;
}

aser_mqtt_job *aser__mqtt_resolve(aser_loop *loop, const char *host, aser_mqtt_resolved_fn fn,
                                  void *arg)
{
    (void)loop, (void)host, (void)fn, (void)arg;
    return NULL;
}

void aser__mqtt_resolve_abandon(aser_mqtt_job *job)
{
    (void)job;
}

#endif
