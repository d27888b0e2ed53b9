// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The condition lexer: splits a condition text into parentheses, commas,
 * comparison operators, bare words and quoted strings. It never allocates;
 * tokens are offsets into the text, so errors can point at them.
 */
#include <string.h>
#include "rules/rules_int.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* In value position a bare word runs to whitespace, '(' ')' or ',', so
 * values such as of=/dev/sda or a<b need no quotes. */
void rs_lex(struct rs_lexer *X, bool value)
{
	const char *s = X->s;
	size_t i = X->pos;

	while (i < X->n && is_space(s[i]))
		i++;
	X->tk.off = i;
	if (i >= X->n) {
		X->tk.t = T_EOF;
		X->tk.len = 0;
		X->pos = i;
		return;
	}
	switch (s[i]) {
	case '(': X->tk.t = T_LP; i++; goto done;
	case ')': X->tk.t = T_RP; i++; goto done;
	case ',': X->tk.t = T_COMMA; i++; goto done;
	case '"':
	case '\'': {
		char q = s[i++];
		while (i < X->n && s[i] != q) {
			if (s[i] == '\\' && i + 1 < X->n)
				i++;
			i++;
		}
		if (i >= X->n) {
			X->tk.t = T_BAD;
			goto done;
		}
		i++;
		X->tk.t = T_STR;
		goto done;
	}
	}
	if (!value && strchr("=<>!", s[i])) {
		X->tk.t = T_OP;
		if (s[i] == '!' && (i + 1 >= X->n || s[i + 1] != '=')) {
			X->tk.t = T_BAD;
			i++;
			goto done;
		}
		i++;
		if (i < X->n && s[i] == '=')
			i++;
		goto done;
	}
	while (i < X->n && !is_space(s[i]) && !strchr("(),", s[i]) &&
	       (value || !strchr("=<>!\"'", s[i])))
		i++;
	X->tk.t = T_WORD;
done:
	X->tk.len = i - X->tk.off;
	X->pos = i;
}

bool rs_tok_is(const struct rs_lexer *X, const char *w)
{
	return X->tk.t == T_WORD && X->tk.len == strlen(w) && !memcmp(X->s + X->tk.off, w, X->tk.len);
}

size_t rs_tok_unquote(const struct rs_lexer *X, char *out)
{
	const char *s = X->s + X->tk.off;
	size_t n = X->tk.len, o = 0;

	/* \" \' \\ are escapes; any other backslash stays, for glob patterns */
	for (size_t i = 1; i + 1 < n; i++) {
		if (s[i] == '\\' && i + 2 < n && (s[i + 1] == '"' || s[i + 1] == '\'' || s[i + 1] == '\\'))
			i++;
		out[o++] = s[i];
	}
	out[o] = 0;
	return o;
}
