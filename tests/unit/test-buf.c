/* The growable and fixed buffers (src/base/buf.h): always NUL-terminated, binary-safe,
 * formatted text of any length, truncation of a fixed buffer that never overruns. */
#include "base/buf.h"
#include <criterion/criterion.h>
#include <string.h>

Test(buf, empty)
{
	struct buf b = BUF_INIT;
	cr_assert_str_eq(buf_cstr(&b), "");
	cr_assert_null(b.data);
	buf_append(&b, "", 0);
	cr_assert_eq(b.len, 0);
	cr_assert_str_eq(buf_cstr(&b), "");
	buf_free(&b);
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
	buf_free(&b);
}

Test(buf, binary_data_and_growth)
{
	struct buf b = BUF_INIT;
	static const char chunk[5] = {'a', '\0', 'b', '\n', '\xff'};
	for (int i = 0; i < 20000; i++)
		buf_append(&b, chunk, sizeof chunk);
	cr_assert_eq(b.len, 100000);
	cr_assert_eq(b.data[b.len], '\0', "terminated after the last byte");
	cr_assert_eq(memcmp(b.data + 99995, chunk, sizeof chunk), 0);
	cr_assert_eq(memcmp(b.data, chunk, sizeof chunk), 0);
	buf_free(&b);
}

Test(buf, printf_short_and_long)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%d-%s", 42, "x");
	cr_assert_str_eq(buf_cstr(&b), "42-x");
	char big[1000];
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	buf_printf(&b, "[%s]", big);	/* longer than the formatter's stack buffer */
	cr_assert_eq(b.len, 4 + 2 + 999);
	cr_assert_eq(strlen(b.data), b.len);
	cr_assert_eq(b.data[4], '[');
	cr_assert_eq(b.data[b.len - 1], ']');
	buf_printf(&b, "%s", "");
	cr_assert_eq(b.len, 1005, "empty text appends nothing");
	buf_printf(&b, "%.*s", 255, big);	/* exactly fills the stack buffer's edge */
	buf_printf(&b, "%.*s", 256, big);
	cr_assert_eq(b.len, 1005 + 255 + 256);
	cr_assert_eq(strlen(b.data), b.len);
	buf_free(&b);
}

Test(buf, fixed_printf_truncates)
{
	char out[8];
	size_t at = 0;
	memset(out, '#', sizeof out);
	buf_fixed_printf(out, sizeof out, &at, "%s", "abc");
	cr_assert_eq(at, 3);
	cr_assert_str_eq(out, "abc");
	buf_fixed_printf(out, sizeof out, &at, "%s", "defghij");
	cr_assert_eq(at, 7, "stops one short of the end, for the NUL");
	cr_assert_str_eq(out, "abcdefg");
	buf_fixed_printf(out, sizeof out, &at, "%s", "more");
	cr_assert_eq(at, 7, "a full buffer takes nothing more");
	cr_assert_str_eq(out, "abcdefg");

	char exact[4];
	at = 0;
	buf_fixed_printf(exact, sizeof exact, &at, "%d", 123);
	cr_assert_eq(at, 3);
	cr_assert_str_eq(exact, "123");
	at = 0;
	buf_fixed_printf(exact, sizeof exact, &at, "%s", "");
	cr_assert_eq(at, 0);
	cr_assert_str_eq(exact, "");
}

Test(buf, write_callback)
{
	struct buf b = BUF_INIT;
	char data[12] = "hello world";
	cr_assert_eq(buf_write_cb(data, 1, 5, &b), 5);
	cr_assert_eq(buf_write_cb(data + 5, 3, 2, &b), 6, "size times count bytes");
	cr_assert_str_eq(buf_cstr(&b), "hello world");
	cr_assert_eq(buf_write_cb(data, 1, 0, &b), 0);
	cr_assert_eq(b.len, 11);
	buf_free(&b);
}
