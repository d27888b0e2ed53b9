// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bulwark report: one self-contained HTML page of a session (header, process tree, timeline). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli/cli.h"
#include "cli/report.h"
#include "core/event.h"
#include "journal/journal.h"

/* ---- the session header, shared with dump --text ---- */

static void copy_val(char *dst, size_t cap, const struct bw_value *v)
{
	size_t n = v->s.len < cap - 1 ? v->s.len : cap - 1;

	memcpy(dst, v->s.p, n);
	dst[n] = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = '?';
}

struct alert_grab {
	char rule[160], action[32], result[200];
};

static int alert_kv(void *ctx, const char *k, size_t kl, const struct json_val *v)
{
	struct alert_grab *a = ctx;
	char *dst = NULL;
	size_t cap = 0, n;

	if (kl == 4 && !memcmp(k, "rule", 4))
		dst = a->rule, cap = sizeof(a->rule);
	else if (kl == 6 && !memcmp(k, "action", 6))
		dst = a->action, cap = sizeof(a->action);
	else if (kl == 13 && !memcmp(k, "action_result", 13))
		dst = a->result, cap = sizeof(a->result);
	if (!dst)
		return 0;
	n = v->len < cap - 1 ? v->len : cap - 1;
	memcpy(dst, v->p, n);
	dst[n] = 0;
	return 0;
}

void sess_hdr_add(struct sess_hdr *h, int kind, const char *json, uint32_t len, uint64_t time_ns,
		  char *scratch)
{
	struct bw_event e;
	struct bw_value v;
	char err[64];

	if (!h->records++ || time_ns < h->first_ns)
		h->first_ns = time_ns;
	if (time_ns > h->last_ns)
		h->last_ns = time_ns;
	if (kind == JREC_ALERT) {
		struct alert_grab a = { 0 };

		h->alerts++;
		if (json_parse_object(json, len, scratch, alert_kv, &a, err, sizeof(err)))
			return;
		/* a kill that happened (not a --no-kill "would have") ends the session */
		if (!strcmp(a.action, "kill_session") && !strstr(a.result, "would") &&
		    !strstr(a.result, "no_kill")) {
			h->kills++;
			if (strncmp(h->ended, "killed", 6)) {
				snprintf(h->ended, sizeof(h->ended), "killed by rule \"%.150s\"", a.rule);
				h->end_ns = time_ns;
			}
		}
		return;
	}
	if (kind != JREC_EVENT || json_parse_event(json, len, scratch, &e, err, sizeof(err)))
		return;
	if (!h->loginname[0] && event_get(&e, FLD_SESSION_LOGINNAME, &v))
		copy_val(h->loginname, sizeof(h->loginname), &v);
	if (!h->loginname[0] && event_get(&e, FLD_USER_LOGINNAME, &v))
		copy_val(h->loginname, sizeof(h->loginname), &v);
	if (event_get(&e, FLD_SESSION_LOGINUID, &v) || event_get(&e, FLD_USER_LOGINUID, &v))
		h->loginuid = v.u;
	if (!h->origin[0] && event_get(&e, FLD_SESSION_ORIGIN, &v))
		copy_val(h->origin, sizeof(h->origin), &v);
	if (!strcmp(h->origin, "unknown") && event_get(&e, FLD_SESSION_ORIGIN, &v) && v.s.len &&
	    memcmp(v.s.p, "unknown", v.s.len))
		copy_val(h->origin, sizeof(h->origin), &v); /* resolved later in the session */
	if (!h->tty[0] && event_get(&e, FLD_SESSION_TTY, &v))
		copy_val(h->tty, sizeof(h->tty), &v);
	if (!h->leader && event_get(&e, FLD_SESSION_LEADER, &v))
		h->leader = v.u;
	if (!h->leader_exe[0] && event_get(&e, FLD_SESSION_LEADER_EXE, &v))
		copy_val(h->leader_exe, sizeof(h->leader_exe), &v);
	if (!h->start_ns && event_get(&e, FLD_SESSION_START, &v))
		h->start_ns = v.u;
	if (event_get(&e, FLD_SESSION_BOOT, &v)) {
		int i;

		for (i = 0; i < h->nboots; i++)
			if (strlen(h->boots[i]) == v.s.len && !memcmp(h->boots[i], v.s.p, v.s.len))
				break;
		if (i == h->nboots && h->nboots < 4)
			copy_val(h->boots[h->nboots++], sizeof(h->boots[0]), &v);
	}
	switch (e.type) {
	case BW_EVT_EXECVE: h->execs++; break;
	case BW_EVT_FORK: h->processes++; break;
	case BW_EVT_UNLINK: case BW_EVT_UNLINKAT: case BW_EVT_RMDIR: case BW_EVT_TRUNCATE:
	case BW_EVT_FTRUNCATE:
		if (!e.res)
			h->deletions++;
		break;
	case BW_EVT_DB_QUERY:
		if (e.db_destructive)
			h->destructive++;
		break;
	case BW_EVT_EXIT:
		if (h->leader && e.pid == h->leader && !h->ended[0]) {
			snprintf(h->ended, sizeof(h->ended), "logout");
			h->end_ns = time_ns;
		}
		break;
	default:
		break;
	}
}

static void put_t(struct jbuf *b, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;
	char s[40];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	jbuf_printf(b, "%s.%03uZ", s, (unsigned)(ns / 1000000ull % 1000));
}

void sess_hdr_text(const struct sess_hdr *h, struct jbuf *b)
{
	jbuf_printf(b, "# session %" PRIu64 ": ", h->id);
	if (!h->records) {
		jbuf_puts(b, "no records in the journal\n");
		return;
	}
	jbuf_printf(b, "%s (loginuid %" PRIu64 ") from %s", h->loginname[0] ? h->loginname : "?", h->loginuid,
		    h->origin[0] ? h->origin : "unknown (not recorded)");
	if (h->tty[0])
		jbuf_printf(b, " on %s", h->tty);
	jbuf_putc(b, '\n');
	if (h->leader)
		jbuf_printf(b, "# leader: pid %" PRIu64 " %s\n", h->leader, h->leader_exe);
	jbuf_puts(b, "# started: ");
	put_t(b, h->start_ns ? h->start_ns : h->first_ns);
	jbuf_puts(b, "  ended: ");
	if (h->ended[0]) {
		put_t(b, h->end_ns);
		jbuf_printf(b, " (%s)", h->ended);
	} else {
		jbuf_puts(b, "not seen (still running, or the end is not recorded); last record ");
		put_t(b, h->last_ns);
	}
	jbuf_putc(b, '\n');
	jbuf_printf(b, "# counts: %" PRIu64 " records, %" PRIu64 " execs, %" PRIu64 " deletions, %" PRIu64
		       " destructive statements, %" PRIu64 " alerts, %" PRIu64 " kills\n",
		    h->records, h->execs, h->deletions, h->destructive, h->alerts, h->kills);
	if (h->nboots > 1)
		jbuf_printf(b, "# warning: session id %" PRIu64 " was used in %d boots (%s, %s%s): these are "
			       "different sessions; narrow with --since/--until\n",
			    h->id, h->nboots, h->boots[0], h->boots[1], h->nboots > 2 ? ", ..." : "");
}

/* ---- the report ---- */

struct report {
	const char *dir, *out_path;
	uint64_t session;
	bool has_session;
	struct sess_hdr hdr;
	struct jbuf data;        /* the records as a JS array of JSON objects */
	char *scratch;
	size_t scratch_cap;
	bool oom;
};

/* -o means -o KEY=VALUE (run, config check): --output has no short form here */
enum { OPT_REPORT_OUTPUT = 1000 };

static const struct argp_option report_options[] = {
	{ "journal", 'j', "DIR", 0, "the journal directory (default " JOURNAL_DEFAULT_DIR ")", 0 },
	{ "session", 's', "ID", 0, "the audit session to report (required)", 0 },
	{ "output", OPT_REPORT_OUTPUT, "FILE", 0, "write the HTML here (default session-ID.html)", 0 },
	{ 0 },
};

static error_t report_parse(int key, char *arg, struct argp_state *state)
{
	struct report *r = state->input;
	char *end;

	switch (key) {
	case 'j': r->dir = arg; break;
	case OPT_REPORT_OUTPUT: r->out_path = arg; break;
	case 's':
		r->session = strtoull(arg, &end, 10);
		if (!*arg || *end || r->session > UINT32_MAX)
			return cli_usage_error(state, "--session '%s' is not an audit session id (a "
					       "number, as in session.id)", arg);
		r->has_session = true;
		break;
	case ARGP_KEY_END:
		if (!r->has_session)
			return cli_usage_error(state, "--session ID is required: which session to report");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static bool want_block(void *ctx, const struct journal_block_info *bi)
{
	struct report *r = ctx;

	return journal_bloom_may_have(bi->session_bloom, r->session);
}

static int on_rec(void *ctx, const struct journal_rec *rec)
{
	struct report *r = ctx;

	if (rec->session != r->session || (rec->kind != JREC_EVENT && rec->kind != JREC_ALERT))
		return 0;
	if (rec->len + 1 > r->scratch_cap) {
		char *n = realloc(r->scratch, rec->len + 1);

		if (!n)
			return -ENOMEM;
		r->scratch = n;
		r->scratch_cap = rec->len + 1;
	}
	sess_hdr_add(&r->hdr, rec->kind, rec->json, rec->len, rec->time_ns, r->scratch);
	/* [kind, json]; "</" is split so a string can never close the <script> */
	jbuf_printf(&r->data, "%s[%d,", r->hdr.records > 1 ? ",\n" : "", rec->kind == JREC_ALERT);
	for (uint32_t i = 0; i < rec->len; i++) {
		if (rec->json[i] == '<' && i + 1 < rec->len && rec->json[i + 1] == '/')
			jbuf_puts(&r->data, "<\\");
		else
			jbuf_putc(&r->data, rec->json[i]);
	}
	jbuf_putc(&r->data, ']');
	return jbuf_ok(&r->data) ? 0 : -ENOMEM;
}

static void put_html(struct jbuf *b, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': jbuf_puts(b, "&lt;"); break;
		case '>': jbuf_puts(b, "&gt;"); break;
		case '&': jbuf_puts(b, "&amp;"); break;
		case '"': jbuf_puts(b, "&quot;"); break;
		default: jbuf_putc(b, *s);
		}
}

static const char css[] =
	"body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}h1{font-size:1.4em}"
	"h2{font-size:1.1em;margin-top:1.5em;border-bottom:1px solid #ccc}"
	"pre.hdr{background:#f4f4f8;padding:.8em;border-left:4px solid #446}"
	"#timeline svg{border:1px solid #ccc;background:#fff}"
	".tree{font:12px monospace;white-space:pre;max-height:30em;overflow:auto;background:#fafafa;padding:.5em}"
	"table{border-collapse:collapse;font:12px monospace}td,th{padding:2px 6px;border-bottom:1px solid #eee;"
	"text-align:left;vertical-align:top}tr.alert{background:#fff3cd}tr.kill{background:#f8d7da;font-weight:bold}"
	".k-exec{color:#2a6}.k-del{color:#c50}.k-sql{color:#36c}.legend span{margin-right:1em}";

/* Renders after load: the SVG timeline (lanes by kind), the process tree, the event table (bounded). */
static const char js[] =
	"(function(){var R=DATA.map(function(x){var o=x[1];o._alert=x[0];return o});\n"
	"function kind(o){if(o._alert)return(/^kill/.test(o.action||'')?'kill':'alert');var t=o['evt.type'];"
	"if(t=='execve')return'exec';if(/^(unlink|unlinkat|rmdir|rename|renameat|renameat2|truncate|ftruncate)$/.test(t))return'del';"
	"if(t=='db_query')return'sql';return'other'}\n"
	"var lanes=['exec','del','sql','alert','kill'],col={exec:'#2a6',del:'#c50',sql:'#36c',alert:'#e0a800',kill:'#d00'};\n"
	"var T=R.map(function(o){return o._alert?o._t:o['evt.time']});R.forEach(function(o,i){if(o._alert){"
	"var j=i;while(j>0&&R[j-1]._alert)j--;o._t=j>0?R[j-1]['evt.time']:(R[i+1]||{})['evt.time']||0}else o._t=o['evt.time']});\n"
	"var t0=Infinity,t1=0;R.forEach(function(o){if(o._t){t0=Math.min(t0,o._t);t1=Math.max(t1,o._t)}});if(t1<=t0)t1=t0+1;\n"
	"var W=1000,H=40+lanes.length*30,NS='http://www.w3.org/2000/svg',svg=document.createElementNS(NS,'svg');"
	"svg.setAttribute('width',W+120);svg.setAttribute('height',H);svg.setAttribute('id','tl');\n"
	"function el(n,a){var e=document.createElementNS(NS,n);for(var k in a)e.setAttribute(k,a[k]);svg.appendChild(e);return e}\n"
	"lanes.forEach(function(l,i){el('text',{x:4,y:34+i*30,'font-size':12}).textContent=l;el('line',{x1:110,x2:110+W,y1:30+i*30,y2:30+i*30,stroke:'#eee'})});\n"
	"var seen={};R.forEach(function(o){var k=kind(o),i=lanes.indexOf(k);if(i<0||!o._t)return;"
	"var x=110+Math.round((o._t-t0)/(t1-t0)*(W-4));var key=k+x;if(seen[key]&&k!='kill'&&k!='alert')return;seen[key]=1;"
	"var c=el(k=='kill'?'rect':'circle',k=='kill'?{x:x-5,y:20+i*30,width:10,height:20,fill:col[k],'class':'ev ev-'+k}:"
	"{cx:x,cy:30+i*30,r:k=='alert'?6:4,fill:col[k],'class':'ev ev-'+k});var ti=document.createElementNS(NS,'title');"
	"ti.textContent=o._alert?(o.rule+' ('+o.action+')'):(o['evt.type']+' '+(o['fd.name']||o['db.query']||o['proc.cmdline']||''));c.appendChild(ti)});\n"
	"el('text',{x:110,y:H-4,'font-size':11}).textContent=new Date(t0/1e6).toISOString();"
	"el('text',{x:W-80,y:H-4,'font-size':11}).textContent=new Date(t1/1e6).toISOString();\n"
	"document.getElementById('timeline').appendChild(svg);\n"
	/* process tree: iterative, so a fork chain of any depth renders */
	"var P={},order=[];R.forEach(function(o){if(o._alert)return;var p=o['proc.pid'];if(!p)return;var n=P[p];"
	"if(!n||o['evt.type']=='fork'&&n.exited){n=P[p]={pid:p,ppid:o['proc.ppid'],cmd:'',kids:[],exited:false};order.push(n)}"
	"if(o['evt.type']=='execve'||!n.cmd)n.cmd=o['proc.cmdline']||o['proc.exepath']||o['proc.name']||'?';if(o['evt.type']=='exit')n.exited=true});\n"
	"var roots=[];order.forEach(function(n){var pp=P[n.ppid];if(pp&&pp!==n)pp.kids.push(n);else roots.push(n)});\n"
	"var out=[],st=[];for(var i=roots.length-1;i>=0;i--)st.push([roots[i],0]);var shown=0;while(st.length){var e=st.pop(),n=e[0];"
	"if(shown++<20000)out.push(new Array(e[1]+1).join('  ')+(e[1]?'\\\\_ ':'')+n.pid+'  '+n.cmd);"
	"for(var j=n.kids.length-1;j>=0;j--)st.push([n.kids[j],e[1]+1])}if(shown>20000)out.push('... '+(shown-20000)+' more processes');\n"
	"var tr=document.getElementById('tree');tr.textContent=out.join('\\n');tr.setAttribute('data-processes',order.length);\n"
	/* the table: commands, deletions, statements, alerts; bounded so a huge session stays usable */
	"var tb=document.getElementById('events'),rows=0,MAX=5000,skipped=0;R.forEach(function(o){var k=kind(o);if(k=='other')return;"
	"if(rows>=MAX&&k!='alert'&&k!='kill'){skipped++;return}rows++;var r=tb.insertRow();r.className=k=='kill'?'kill':k=='alert'?'alert':'';"
	"function c(s,cl){var d=r.insertCell();d.textContent=s;if(cl)d.className=cl}c(o._t?new Date(o._t/1e6).toISOString():'');"
	"c(k=='kill'?'KILL':k=='alert'?'ALERT':o['evt.type'],'k-'+k);c(o['proc.pid']||(o.output_fields||{})['proc.pid']||'');"
	"c(o._alert?(o.rule+': '+o.output+(o.action_result?' ['+JSON.stringify(o.action_result)+']':'')):k=='exec'?o['proc.cmdline']:k=='sql'?o['db.query']:"
	"(o['fd.name']+(o['fd.newname']?' -> '+o['fd.newname']:'')+(o['evt.rawres']?' (res '+o['evt.rawres']+')':'')))});\n"
	"if(skipped)document.getElementById('more').textContent=skipped+' more events not listed (the timeline shows all of them)';\n"
	"document.body.setAttribute('data-rendered','1')})();";

static int write_html(struct report *r, FILE *f)
{
	struct jbuf b = { 0 };
	char title[64];
	int rc;

	snprintf(title, sizeof(title), "bulwark: session %" PRIu64, r->session);
	jbuf_puts(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
	put_html(&b, title);
	jbuf_printf(&b, "</title><style>%s</style></head><body>\n<h1>", css);
	put_html(&b, title);
	jbuf_puts(&b, "</h1>\n<pre class=\"hdr\" id=\"header\">");
	{
		struct jbuf h = { 0 };

		sess_hdr_text(&r->hdr, &h);
		jbuf_putc(&h, 0);
		if (jbuf_ok(&h))
			put_html(&b, h.p);
		jbuf_free(&h);
	}
	jbuf_puts(&b, "</pre>\n<h2>Timeline</h2><div class=\"legend\"><span class=\"k-exec\">&#9679; commands</span>"
		      "<span class=\"k-del\">&#9679; deletions</span><span class=\"k-sql\">&#9679; statements</span>"
		      "<span style=\"color:#e0a800\">&#9679; alerts</span><span style=\"color:#d00\">&#9632; kill</span>"
		      "</div><div id=\"timeline\"></div>\n<h2>Process tree</h2><div class=\"tree\" id=\"tree\"></div>\n"
		      "<h2>Events</h2><table><thead><tr><th>time</th><th>what</th><th>pid</th><th>detail</th></tr></thead>"
		      "<tbody id=\"events\"></tbody></table><p id=\"more\"></p>\n"
		      "<noscript>The timeline, tree and table need JavaScript; the header above is the summary.</noscript>\n"
		      "<script>var DATA=[\n");
	if (!jbuf_ok(&b)) {
		jbuf_free(&b);
		return -ENOMEM;
	}
	fwrite(b.p, 1, b.len, f);
	fwrite(r->data.p ? r->data.p : "", 1, r->data.len, f);
	jbuf_reset(&b);
	jbuf_printf(&b, "];\n%s</script>\n</body></html>\n", js);
	fwrite(b.p, 1, b.len, f);
	rc = jbuf_ok(&b) ? 0 : -ENOMEM;
	jbuf_free(&b);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	static const char doc[] =
		"USAGE: bulwark report -s ID [-j DIR] [--output FILE]\n"
		"\n"
		"Write one self-contained HTML file about a login session, for a responder to\n"
		"read or hand on: who, from where, start and end and how it ended, the process\n"
		"tree, and a timeline of commands, deletions and statements with the alerts and\n"
		"the kill marked. It needs no network: CSS, script and SVG are inline."
		"\v"
		"Exit status: 0, 1 when the journal is missing or has nothing of the session,\n"
		"2 for bad usage.\n"
		"\n"
		"EXAMPLES:\n"
		"  bulwark report --session 7 --output session-7.html\n"
		"  bulwark report -s 7 -j /var/lib/bulwark/journal";
	static const struct argp argp = { report_options, report_parse, NULL, doc, 0, 0, 0 };
	struct report r = { .dir = JOURNAL_DEFAULT_DIR };
	struct journal_scan s = { 0 };
	char err[1024], path[64];
	FILE *f = NULL;
	int rc, ret;

	ret = cli_parse(&argp, 0, argc, argv, &r, stdout, stderr);
	if (ret != CLI_GO_ON)
		return ret;
	ret = CLI_FAIL;
	r.hdr.id = r.session;
	s.want_block = want_block;
	s.on_rec = on_rec;
	s.ctx = &r;
	s.warn = stderr;
	rc = journal_scan_dir(&s, r.dir, err, sizeof(err));
	if (rc == -ENOMEM) {
		fprintf(stderr, "bulwark report: out of memory reading session %" PRIu64 "\n", r.session);
		goto out;
	}
	if (rc < 0) {
		fprintf(stderr, "bulwark report: %s\n", err);
		goto out;
	}
	if (!r.hdr.records) {
		fprintf(stderr, "bulwark report: the journal %s has no records of session %" PRIu64
				"; list sessions with: bulwark dump -j %s | jq -r '.\"session.id\"' | sort -u\n",
			r.dir, r.session, r.dir);
		goto out;
	}
	if (!r.out_path) {
		snprintf(path, sizeof(path), "session-%" PRIu64 ".html", r.session);
		r.out_path = path;
	}
	f = fopen(r.out_path, "w");
	if (!f) {
		fprintf(stderr, "bulwark report: cannot write %s: %s; choose another file with -o\n", r.out_path,
			strerror(errno));
		goto out;
	}
	if (write_html(&r, f) || ferror(f)) {
		fprintf(stderr, "bulwark report: writing %s failed; check the disk\n", r.out_path);
		goto out;
	}
	if (fclose(f)) {
		f = NULL;
		fprintf(stderr, "bulwark report: writing %s failed: %s\n", r.out_path, strerror(errno));
		goto out;
	}
	f = NULL;
	fprintf(stderr, "bulwark report: %s: session %" PRIu64 ", %" PRIu64 " records\n", r.out_path, r.session,
		r.hdr.records);
	ret = 0;
out:
	if (f)
		fclose(f);
	jbuf_free(&r.data);
	free(r.scratch);
	return ret;
}
