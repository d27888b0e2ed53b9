/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Rule engine internals shared by the rules*.c files; not a public API. */
#ifndef BULWARK_RULES_INT_H
#define BULWARK_RULES_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>
#include "core/event.h"
#include "rules/rules.h"

_Static_assert(BW_EVT_MAX <= 64, "evt.type masks are one u64");
_Static_assert(FLD_MAX <= 255, "rnode.field is a u8");

/* Fields a condition reads: a bit per enum bw_field. */
#define RL_FWORDS ((FLD_MAX + 63) / 64)
struct rl_fset { uint64_t w[RL_FWORDS]; };

static inline void rl_fset_add(struct rl_fset *s, int f) { s->w[f / 64] |= 1ull << (f % 64); }
static inline bool rl_fset_has(const struct rl_fset *s, int f) { return s->w[f / 64] >> (f % 64) & 1; }
static inline void rl_fset_or(struct rl_fset *d, const struct rl_fset *s)
{
	for (int i = 0; i < RL_FWORDS; i++)
		d->w[i] |= s->w[i];
}

/*
 * What a condition needs that bulwark does not capture (a Falco field,
 * a syscall it does not hook): the rule loads disabled, with a warning
 * that names it. Syscall names point into the static table.
 */
#define RL_NEED_TYPES 8
struct rl_needs {
	char field[80];               /* first Falco field bulwark cannot fill, "" if none */
	const char *types[RL_NEED_TYPES]; /* syscalls named that bulwark does not hook */
	int ntypes;
	bool unknown;                 /* skip-if-unknown-filter met an unknown field */
	const char *bad_macro;        /* a macro it uses has errors (its name), or NULL */
	bool unavail;                 /* it has RN_UNAVAIL nodes (see rs_unavail_in) */
	char host_field[80];          /* first field it checks that a host process lacks (container.*) */
};
void rl_needs_merge(struct rl_needs *d, const struct rl_needs *s);

#define RULES_ALL_TYPES ((uint64_t)((BW_EVT_MAX == 64) ? ~0ull : ((1ull << BW_EVT_MAX) - 1)))
#define RULES_DB_TYPES ((1ull << BW_EVT_DB_QUERY) | (1ull << BW_EVT_DB_CONNECT) | \
			(1ull << BW_EVT_DB_TLS))

/* ---------------------------------------------------------------------------
 * Load time: files, positions, diagnostics and the definitions read from YAML.
 * Everything here lives in struct rl_ctx and is freed once the set is built.
 */

/* One rule file held in memory: its name and bytes, and where its lines start. */
struct rl_file {
	char *path;          /* as given, or DIR/NAME for files found in a directory */
	char *buf;           /* contents, NUL terminated */
	size_t len;          /* bytes in buf */
	size_t *lines;       /* byte offset of each line start */
	int nlines;          /* entries in lines */
};

/* A position in a rule file; line and col are 1-based, col counts characters. */
struct rl_pos {
	int file;            /* index into rl_ctx.files, -1 when unknown */
	int line, col;
};

/*
 * Where a piece of a condition or output text came from. Texts are joined
 * when a later file appends to a macro or rule, so one text may have
 * several spans; each maps its bytes back to one YAML scalar.
 */
struct rl_span {
	uint32_t off, len;   /* bytes [off, off+len) of the joined text */
	int file;            /* file of the scalar, -1 for text we inserted */
	size_t src;          /* byte offset where the scalar starts in the file */
	size_t src_end;      /* byte offset where it ends */
	int style;           /* yaml_scalar_style_t */
};

/* A string with provenance, for conditions and outputs. */
struct rl_text {
	char *s;             /* NUL terminated */
	size_t len;
	struct rl_span *spans;
	int nspans;
};

/* A diagnostic; collected, sorted by file and position, then printed. */
struct rl_diag {
	struct rl_pos pos;
	int seq;             /* emission order, breaks ties */
	bool warning;        /* printed with "warning:", not counted as an error */
	char *msg;
};

struct rl_item {         /* one list item */
	char *s;
	size_t len;
	struct rl_pos pos;
};

enum rl_state { RL_NEW, RL_BUSY, RL_OK, RL_BAD };

struct rl_list {
	char *name;
	struct rl_pos pos;   /* where it was first defined */
	struct rl_item *items;
	int nitems, cap;
	int state;           /* enum rl_state: expansion / cycle check */
	bool used;
	/* compiled once for "in (this_list)" and "pmatch (this_list)" on string
	 * fields, and shared by every condition that names only this list */
	struct rstrset *set;
	struct rptrie *trie;
};

struct rl_macro {
	char *name;
	struct rl_pos pos;
	struct rl_text cond;
	int state;           /* enum rl_state */
	int root;            /* compiled node, valid when state == RL_OK */
	struct rl_fset fields; /* fields the condition reads */
	struct rl_needs needs; /* what it needs that bulwark does not capture */
	bool used;
};

/* One of a rule's exceptions: rows of values for its fields. */
struct rl_exc {
	char *name;
	struct rl_pos pos;
	struct rl_text *fields;  /* one, or several, each with its place in the file */
	int nfields;
	bool single;         /* fields: was one string: values are its values, comp "in" */
	char **comps;        /* nfields comparison operators */
	struct rl_text *rows;/* each: "(f1 c1 v1 and f2 c2 v2)" */
	int nrows;
};

struct rl_threshold {
	uint32_t count;      /* fire at this many matches ... */
	uint64_t window_ns;  /* ... within this long */
	int by;              /* enum bw_field to group by */
	uint32_t max_groups; /* groups tracked at once (LRU) */
};

struct rl_rule {
	char *name;
	struct rl_pos pos;   /* of the first definition */
	char *desc;
	struct rl_text cond, output;
	bool has_cond, has_output;
	bool bad_text;       /* a condition or output was refused (reported) */
	int priority;        /* enum rule_priority, -1 unset */
	int action;          /* enum rule_action */
	int source;          /* RL_SRC_*, or -1: inferred from the fields used */
	struct rl_pos source_pos;
	bool enabled;
	bool skip_unknown;   /* skip-if-unknown-filter: drop the rule, no error */
	char **tags;
	int ntags;
	bool has_threshold;
	struct rl_threshold th;
	struct rl_pos th_pos;
	char **protect;      /* protect: list names or absolute paths */
	int nprotect;
	struct rl_pos protect_pos;
	struct rl_exc *exc;  /* exceptions: */
	int nexc;
	char *bad_source;    /* a Falco plugin source (k8s_audit...): loads disabled */
	int read_errors;     /* errors reported while reading its entries */
	int first_error;     /* L->diags index of the first of them */
	const char *bad_macro; /* its condition uses a macro that has errors */
};

enum { RL_SRC_SYSCALL = 0, RL_SRC_DATABASE = 1 };

/*
 * Limits on what one load may ask for, so that a hostile or mistaken rule
 * file gets an error instead of exhausting the stack or memory (see
 * docs/rules.md, Limits). Each is far above what real rule sets use.
 */
#define RULES_MAX_RULES      65535      /* rules: by_type[] holds u16 indices */
#define RULES_MAX_NEST       200        /* parentheses, 'not', and compiled depth with macros */
#define RULES_MAX_MACRO_DEPTH 64        /* macros used inside macros being compiled */
#define RULES_MAX_ITEMS      1000000    /* list items expanded, over all conditions of a load */
#define RULES_MAX_TEXT_LEN   65536      /* bytes of one condition or output, appends included */
#define RULES_MAX_TH_SLOTS   (1u << 24) /* threshold timestamps per rule: 128 MiB */
#define RULES_MAX_TH_TOTAL   (1u << 26) /* threshold timestamps of all rules: 512 MiB */
#define RULES_MAX_YAML_DEPTH 100        /* sequences and mappings inside each other */
#define RULES_MAX_HELD       (32u << 20) /* bytes of text held from the files, YAML aliases expanded */

/* Name -> index of a list, macro or rule; open addressing over entry indices. */
struct rl_index {
	int32_t *slots;      /* entry index, or -1 for an empty slot */
	uint32_t mask;       /* slots - 1 (a power of two) */
	int n;               /* entries indexed */
};

struct rl_ctx {
	struct rl_file *files;
	int nfiles;
	struct rl_diag *diags;
	int ndiags, capdiags;
	int nerrors, nwarnings;
	struct rl_list *lists;
	int nlists, caplists;
	struct rl_macro *macros;
	int nmacros, capmacros;
	struct rl_rule *rules;
	int nrules, caprules;
	struct rl_index ilists, imacros, irules; /* by name */
	size_t held;         /* bytes of text copied from the files (RULES_MAX_HELD) */
	bool held_reported;  /* the RULES_MAX_HELD error was given */
	size_t expanded;     /* list items expanded so far (RULES_MAX_ITEMS) */
	bool expand_reported;
	int macro_depth;     /* macros being compiled inside one another */
	uint64_t th_slots;   /* threshold timestamps allocated so far (RULES_MAX_TH_TOTAL) */
	bool oom;
	FILE *report;        /* rules check --falco-report: a line per rule (rules_load_report) */
};

/* Diagnostics (rules_diag.c). */
void rl_error(struct rl_ctx *L, struct rl_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void rl_warn(struct rl_ctx *L, struct rl_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void rl_vdiag(struct rl_ctx *L, struct rl_pos pos, bool warning, const char *fmt, va_list ap);
/* Position of byte off of a text (see rl_span). */
struct rl_pos rl_text_pos(const struct rl_ctx *L, const struct rl_text *t, size_t off);
void rl_print_diags(struct rl_ctx *L, FILE *f);
const char *rl_file_name(const struct rl_ctx *L, int file);
/* Byte index after nchars UTF-8 characters from s[i], at most end. */
size_t rl_utf8_advance(const char *s, size_t i, size_t end, size_t nchars);
/* Nearest candidate by edit distance, or NULL when nothing is close. */
const char *rl_nearest(const char *word, size_t len, const char *const *cands, int n);

/* Falco's names bulwark does not fill (rules_falco.c). */
enum { RL_FALCO_UNAVAILABLE = 1, RL_FALCO_HOST_ABSENT = 2 };
int rl_falco_field_class(const char *name, size_t len); /* 0: not a Falco field */
const char *rl_syscall_known(const char *name, size_t len); /* the static name, or NULL */

/* Texts assembled from pieces (rules_yaml.c): false on ENOMEM or past RULES_MAX_TEXT_LEN. */
bool rl_text_lit(struct rl_ctx *L, struct rl_text *t, const char *s);
bool rl_text_cat(struct rl_ctx *L, struct rl_text *t, const struct rl_text *src);
void rl_text_free(struct rl_text *t);

/* Reading (rules_files.c: files; rules_yaml.c: their YAML; rules_names.c: the index). */
int rl_add_file(struct rl_ctx *L, const char *path, const char *text, size_t len);
int rl_read_path(struct rl_ctx *L, const char *path);  /* file or directory */
void rl_parse_file(struct rl_ctx *L, int file);
void rl_ctx_free(struct rl_ctx *L);

struct rl_list *rl_find_list(struct rl_ctx *L, const char *name, size_t len);
struct rl_macro *rl_find_macro(struct rl_ctx *L, const char *name, size_t len);
struct rl_rule *rl_find_rule(struct rl_ctx *L, const char *name, size_t len);
/* Indexes entry at of arr (entries of size bytes, each starting with its
 * char *name, which is set); false when out of memory (rules_names.c). */
bool rl_index_add(struct rl_ctx *L, struct rl_index *x, const void *arr, size_t size, int at);
int rl_parse_priority(const char *s, size_t len);   /* -1 if unknown */
int rl_parse_action(const char *s, size_t len);     /* -1 if unknown */

/* ---------------------------------------------------------------------------
 * The compiled form. Conditions become an array of nodes; a node's children
 * are a range of kidx[]. Macros compile once and are shared by index.
 */
enum rn_op {
	RN_TRUE, RN_FALSE,
	RN_AND, RN_OR, RN_NOT,
	RN_EXISTS,
	RN_TYPE_IN,        /* evt.type in mask: the index keys on this */
	RN_S_EQ, RN_S_NE, RN_S_CONTAINS, RN_S_ICONTAINS, RN_S_STARTS, RN_S_ENDS,
	RN_S_GLOB, RN_S_IN, RN_S_PMATCH,
	RN_N_EQ, RN_N_NE, RN_N_LT, RN_N_LE, RN_N_GT, RN_N_GE, RN_N_IN,
	/* Falco operators (issue 14) */
	RN_S_REGEX,        /* POSIX ERE, anchored at both ends as Falco's RE2 full match */
	RN_S_IGLOB,        /* glob, ASCII case-insensitive (pattern folded at load) */
	RN_S_INTERSECTS,   /* list field: any value in the set (scalar field: "in") */
	RN_UNAVAIL,        /* a check on a Falco field bulwark does not fill (v.s: its name):
			      the rule is disabled where it could decide the outcome */
};

/* Transformers applied to a field's value before the compare (Falco's
 * tolower(...), ...). */
enum rn_xf { XF_NONE, XF_TOLOWER, XF_TOUPPER, XF_B64, XF_BASENAME };
#define RN_MAX_XF 4

/* A field operand with what is applied to it: the right side of val(). */
struct rref {
	uint8_t field;
	int8_t idx;          /* ancestor level or evt.arg id; -1 none */
	uint8_t nxf;
	uint8_t xf[RN_MAX_XF];
};

struct rstrset;   /* hashed set of strings, for "in" */
struct rptrie;    /* component trie of path prefixes, for "pmatch" */

struct rnode {
	uint8_t op;        /* enum rn_op */
	uint8_t kind;      /* enum bw_kind of the field */
	uint8_t field;     /* enum bw_field */
	uint8_t sign;      /* numeric compare as int64 */
	uint8_t slow;      /* value through event_value(): derived, indexed, transformed, val() */
	int8_t idx;        /* ancestor level or evt.arg id; -1 none */
	uint8_t many;      /* 1 any ancestor (proc.aname), 2 a list field (proc.anames) */
	uint8_t nxf;       /* transformers, applied in order */
	uint8_t xf[RN_MAX_XF];
	const struct rref *rhs; /* val(field) on the right, or NULL */
	uint32_t off;      /* offset of the field in struct bw_event */
	uint32_t kbegin, kcount; /* children: kidx[kbegin .. kbegin+kcount) */
	union {
		struct { const char *p; uint32_t len; } s; /* string operand */
		uint64_t u;                 /* numeric operand (int64 as bits when sign) */
		uint64_t mask;              /* RN_TYPE_IN */
		struct rstrset *set;        /* RN_S_IN */
		struct rptrie *trie;        /* RN_S_PMATCH */
		struct { uint64_t *v; uint32_t n; } nums; /* RN_N_IN, sorted */
		void *re;                   /* RN_S_REGEX: a compiled regex_t */
	} v;
};

/* Per-group threshold state; groups live in a fixed array, linked LRU. */
struct rgroup {
	uint64_t key;          /* group value or hash */
	uint64_t last;         /* newest match time seen (ns) */
	uint64_t quiet_until;  /* no counting before this (after a firing) */
	uint32_t head, n;      /* ring of match times: oldest at head, n used */
	int32_t prev, next;    /* LRU list, most recent first */
	uint8_t tag;           /* what key is: value, pid fallback, string hash */
	bool used;
};

struct rthresh {
	struct rl_threshold cfg;
	uint64_t *ring;        /* cfg.max_groups * cfg.count match times */
	struct rgroup *groups; /* cfg.max_groups */
	int32_t *table;        /* open addressing: group index or -1 */
	uint32_t tmask;        /* table size - 1 */
	uint32_t ngroups;      /* groups in use */
	int32_t lru_head, lru_tail;
	uint64_t evictions;    /* groups forgotten for lack of room */
};

struct rule {
	char *name;
	char *desc;
	char *output_fmt;      /* the output text as written */
	struct rule_output_seg *segs; /* compiled output */
	int nsegs;
	int *ofields;          /* fields for output_fields, in order */
	int nofields;
	char **tags;
	int ntags;
	int root;              /* condition node */
	uint64_t types;        /* evt.type values it can match */
	struct rl_fset fields; /* fields it reads */
	char *why_disabled;    /* loads disabled for this (what bulwark cannot see), or NULL */
	enum rule_priority priority;
	enum rule_action action;
	int source;            /* RL_SRC_* */
	bool enabled;
	struct rthresh *th;    /* NULL when the rule has no threshold */
	char **protect;        /* protect: trees enforced in the kernel (globs allowed) */
	int nprotect;
	uint64_t matches;      /* condition matched (before the threshold) */
	uint64_t fired;        /* alerts raised */
};

struct rules {
	struct rnode *nodes;
	int nnodes, capnodes;
	uint16_t *depth;       /* per node, load time only: levels below it, itself included */
	int32_t *kidx;
	int nkidx, capkidx;
	struct rule *rules;    /* every rule, in file order, disabled too */
	int nrules;
	int nenabled;
	int nmacros, nlists;   /* for the summary */
	struct rs_list {       /* lists, kept for rules_list_items() */
		char *name;
		char **items;
		int nitems;
	} *lists;
	int nwarnings;
	uint16_t *by_type[BW_EVT_MAX]; /* enabled rules per evt.type, file order */
	int nby_type[BW_EVT_MAX];
	uint64_t types;        /* union of enabled rules' types */
	uint64_t last_time;    /* newest evt.time seen, for events without one */
	void **allocs;         /* everything the compiled form points into */
	int nallocs, capallocs;
	void **regexes;        /* compiled regex_t, regfree()d with the set */
	int nregexes, capregexes;
	char *scratch;         /* RS_SCRATCH bytes per slot: transformed values during eval */
};

/* Transformed values are built here; longer values are cut (docs/rules.md). */
#define RS_SCRATCH 65536
enum { RS_SLOT_LHS, RS_SLOT_RHS, RS_SLOT_FOLD, RS_SLOTS };

/* Lexer (rules_lex.c): tokens are offsets into the text, nothing is allocated. */
enum rs_tok_t { T_EOF, T_LP, T_RP, T_COMMA, T_OP, T_WORD, T_STR, T_BAD };

struct rs_tok {
	enum rs_tok_t t;
	size_t off, len;     /* raw bytes in the text */
};

struct rs_lexer {
	const char *s;       /* the condition text */
	size_t n, pos;       /* its length, and where the next token starts */
	struct rs_tok tk;    /* current token */
};

/* Next token; value: in value position, where a word may contain =<>! */
void rs_lex(struct rs_lexer *X, bool value);
bool rs_tok_is(const struct rs_lexer *X, const char *w);  /* the current token is word w */
/* Writes the unquoted value of the current T_STR token (at most tk.len
 * bytes, NUL terminated) to out; returns its length. */
size_t rs_tok_unquote(const struct rs_lexer *X, char *out);

/* Match primitives (rules_match.c), built at load time, allocation-free lookups. */
struct rs_item {         /* one value of an "in"/"pmatch" list, with where it came from */
	const char *s;
	size_t len;
	size_t off;          /* in the condition text, when inline */
	struct rl_pos pos;   /* in a list, when from_list */
	bool from_list;
};

static inline unsigned char rs_fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

struct rstrset *rs_set_build(struct rules *rs, const struct rs_item *it, int n); /* NULL: ENOMEM */
bool rs_set_has(const struct rstrset *set, const char *p, size_t n);
struct rptrie *rs_trie_build(struct rules *rs, const struct rs_item *it, int n); /* NULL: ENOMEM */
bool rs_trie_match(const struct rptrie *t, const char *p, size_t n);

/* Memory of the compiled set (rules.c). */
void *rs_keep(struct rules *rs, void *p);                 /* frees p with the set */
char *rs_strndup(struct rules *rs, const char *s, size_t n);

/* Parser and compiler (rules_parse.c). */
int rs_compile_macro(struct rl_ctx *L, struct rules *rs, struct rl_macro *m);
/* Compiles a condition; 0 and *root, or -1 after reporting every error in
 * it. What it needs that bulwark does not capture goes to *needs. */
int rs_compile_cond(struct rl_ctx *L, struct rules *rs, const struct rl_text *t,
		    bool skip_unknown, struct rl_needs *needs, int *root, struct rl_fset *fields);
/* A node that is always false (the condition of a rule that is not compiled). */
int rs_false_node(struct rl_ctx *L, struct rules *rs);
/* Keeps a regex_t for regfree() with the set; false on ENOMEM. */
bool rs_keep_regex(struct rules *rs, void *re);

/* Evaluator (rules_eval.c). */
uint64_t rs_node_types(const struct rules *rs, int n);
/* The name of a field bulwark does not fill whose check can decide node n
 * for an event of one of types, or NULL: a check under "evt.type in (open)"
 * cannot, when bulwark captures no open. */
const char *rs_unavail_in(const struct rules *rs, int n, uint64_t types);
int rs_order_by_cost(struct rules *rs);  /* 0 or -ENOMEM */
bool rs_eval_node(const struct rules *rs, int n, const struct bw_event *e);

/* Matching helpers, exposed for tests. */
bool rules_glob_match(const char *pat, size_t plen, const char *s, size_t slen);

#endif /* BULWARK_RULES_INT_H */
