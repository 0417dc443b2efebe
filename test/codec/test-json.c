/* test-json.c: the web console's control-message reader (src/codec/json.c):
 * the messages the console sends, the bounds, and every refusal with its
 * sentence; each input is read from the end of a buffer so a read past
 * len would see a poisoned byte. */
#define _GNU_SOURCE
#include "../test.h"
#include "aserial.h"
#include "codec/json.h"

#include <string.h>

/* Parse s placed at the end of a buffer followed by '"' bytes (a reader
 * that ran past len would take them as part of the text). */
static int parse(aser_json *j, const char *s)
{
    static char buf[1024];
    size_t n = strlen(s);
    memset(buf, '"', sizeof buf);
    memcpy(buf, s, n);
    return aser__json_parse(j, buf, n);
}

TEST(json, the_console_messages)
{
    aser_json j;
    CHECK_EQ(parse(&j, "{\"type\":\"lines\",\"dtr\":true,\"rts\":false}"), 0);
    CHECK_EQ(j.n, 3);
    CHECK_STR(aser__json_get(&j, "type", ASER_JSON_STRING)->str, "lines");
    CHECK_EQ(aser__json_get(&j, "dtr", ASER_JSON_BOOL)->num, 1);
    CHECK_EQ(aser__json_get(&j, "rts", ASER_JSON_BOOL)->num, 0);
    CHECK(aser__json_get(&j, "dtr", ASER_JSON_STRING) == NULL);
    CHECK_EQ(parse(&j, " { \"type\" : \"break\" , \"ms\" : -250 , \"x\": null }\n"), 0);
    CHECK_EQ(aser__json_get(&j, "ms", ASER_JSON_INT)->num, -250);
    CHECK(aser__json_get(&j, "x", ASER_JSON_NULL) != NULL);
    CHECK_EQ(parse(&j, "{\"s\":\"a\\\"b\\\\c\\/d\\n\"}"), 0);
    CHECK_STR(j.m[0].str, "a\"b\\c/d\n");
    CHECK_EQ(parse(&j, "{}"), 0);
    CHECK_EQ(j.n, 0);
}

static void refused(const char *s, const char *why)
{
    aser_json j;
    CHECKM(parse(&j, s) == ASER_EPROTO, "%s was accepted", s);
    CHECKM(strstr(j.err, why) != NULL, "%s: err '%s' lacks '%s'", s, j.err, why);
}

TEST(json, refusals_name_what_is_wrong)
{
    refused("", "not a JSON object");
    refused("[1]", "not a JSON object");
    refused("{\"a\":1", "',' or '}'");
    refused("{\"a\":1}x", "bytes after");
    refused("{\"a\":{\"b\":1}}", "a bad value");
    refused("{\"a\":1.5}", "integers only");
    refused("{\"a\":1234567890123456}", "too large");
    refused("{\"a\":\"\\u0041\"}", "unsupported escape");
    refused("{\"a\":\"x\ny\"}", "control byte");
    refused("{\"a\":\"abc", "unterminated");
    refused("{\"a\" 1}", "':'");
    refused("{\"aaaaaaaaaaaaaaaaaaaaaaaaa\":1}", "too long");
    char big[200];
    snprintf(big, sizeof big, "{\"a\":\"%0100d\"}", 0);
    refused(big, "too long");
    refused("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,"
            "\"j\":1,\"k\":2,\"l\":3,\"m\":4,\"n\":5,\"o\":6,\"p\":7,\"q\":8}",
            "too many members");
}
