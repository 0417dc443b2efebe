/* sim.c: a simulated instrument. Reads request lines from a port and
 * answers from a rule table, optionally after a delay, one request at a
 * time like a real instrument. Built only on the public port API. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

struct aser_sim {
    aser_port *port;
    aser_sim_rule *rules;
    size_t nrules;
    bool echo;
    unsigned delay_ms;
    char eol[16];
    size_t eol_len;
    int op;            /* pending read, 0 if none */
    aser_timer *timer; /* pending delayed answer */
    char *answer;      /* what the timer will send (a reused buffer) */
    size_t answer_len, answer_cap;
    bool has_answer;
    bool stopping;
    uint64_t count;
};

static void sim_free(aser_sim *s)
{
    for (size_t i = 0; i < s->nrules; i++) {
        free((char *)s->rules[i].request);
        free((char *)s->rules[i].response);
    }
    free(s->rules);
    free(s->answer);
    free(s);
}

static void on_line(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx);

static void next_request(aser_sim *s)
{
    int id = aser_read_until(s->port, s->eol, s->eol_len, 0, 0, on_line, s);
    s->op = id > 0 ? id : 0;
}

static void send_answer(aser_sim *s)
{
    if (s->has_answer) aser_write(s->port, s->answer, s->answer_len, NULL, NULL);
    s->has_answer = false;
    s->count++;
    next_request(s);
}

static void on_delay(void *arg)
{
    aser_sim *s = arg;
    s->timer = NULL;
    send_answer(s);
}

/* The answer to one request: a rule's response, the echo, or nothing. */
static const char *lookup(const aser_sim *s, const uint8_t *line, size_t len, size_t *rlen)
{
    for (size_t i = 0; i < s->nrules; i++) {
        const char *req = s->rules[i].request;
        if (strlen(req) == len && memcmp(req, line, len) == 0) {
            *rlen = strlen(s->rules[i].response);
            return s->rules[i].response;
        }
    }
    *rlen = len;
    return s->echo ? (const char *)line : NULL;
}

static void on_line(aser_port *p, int status, const uint8_t *data, size_t len, void *ctx)
{
    aser_sim *s = ctx;
    s->op = 0;
    if (s->stopping) {
        sim_free(s);
        return;
    }
    if (status == ASER_ENOBUFS) { /* an over-long line: drop it, carry on */
        aser_discard(p, ASER_DISCARD_INPUT);
        next_request(s);
        return;
    }
    if (status < 0) return; /* port closed or gone: the sim goes idle */
    size_t rlen;
    const char *r = lookup(s, data, len, &rlen);
    if (r && rlen + s->eol_len > s->answer_cap) { /* grows once, then reused */
        char *b = realloc(s->answer, rlen + s->eol_len);
        if (b) {
            s->answer = b;
            s->answer_cap = rlen + s->eol_len;
        }
    }
    if (r && rlen + s->eol_len <= s->answer_cap) {
        memcpy(s->answer, r, rlen);
        memcpy(s->answer + rlen, s->eol, s->eol_len);
        s->answer_len = rlen + s->eol_len;
        s->has_answer = true;
    }
    if (s->delay_ms &&
        aser_timer_start(aser_port_loop(p), s->delay_ms, on_delay, s, &s->timer) == 0)
        return;
    send_answer(s);
}

static int copy_rules(aser_sim *s, const aser_sim_opts *o)
{
    if (o->nrules == 0) return 0;
    s->rules = calloc(o->nrules, sizeof *s->rules);
    if (!s->rules) return ASER_ENOMEM;
    for (size_t i = 0; i < o->nrules; i++, s->nrules++) {
        if (!o->rules[i].request || !o->rules[i].response) return ASER_EINVAL;
        s->rules[i].request = strdup(o->rules[i].request);
        s->rules[i].response = strdup(o->rules[i].response);
        if (!s->rules[i].request || !s->rules[i].response) {
            s->nrules++;
            return ASER_ENOMEM;
        }
    }
    return 0;
}

int aser_sim_start(aser_port *p, const aser_sim_opts *o, aser_sim **out)
{
    if (!p || !o || !out || !aser_port_loop(p)) return ASER_EINVAL;
    const char *eol = o->eol ? o->eol : "\n";
    size_t eol_len = strlen(eol);
    if (eol_len == 0 || eol_len > 16) return ASER_EINVAL;
    aser_sim *s = calloc(1, sizeof *s);
    if (!s) return ASER_ENOMEM;
    s->port = p;
    s->echo = o->echo;
    s->delay_ms = o->delay_ms;
    memcpy(s->eol, eol, eol_len);
    s->eol_len = eol_len;
    int rc = copy_rules(s, o);
    if (rc == 0) {
        rc = aser_read_until(p, s->eol, s->eol_len, 0, 0, on_line, s);
        if (rc > 0) s->op = rc;
    }
    if (rc < 0) {
        sim_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

uint64_t aser_sim_count(const aser_sim *s)
{
    return s ? s->count : 0;
}

void aser_sim_stop(aser_sim *s)
{
    if (!s) return;
    if (s->timer) aser_timer_cancel(s->timer);
    if (s->op && aser_cancel(s->port, s->op) == 0) {
        s->stopping = true; /* freed by the cancelled read's callback */
        return;
    }
    sim_free(s);
}
