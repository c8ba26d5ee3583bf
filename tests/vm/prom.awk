# A strict checker of the Prometheus text exposition format (0.0.4) for the
# tests, with promtool's lint rules on top: `awk -f prom.awk FILE`.  Checks
# each line's syntax (metric and label names, label value escapes, float
# values, timestamps), that a family's TYPE comes before its samples, at
# most one HELP and TYPE per family, that a family's samples are one group,
# that no series repeats, and, as promtool check metrics does, that every
# family has HELP and a counter's name ends in _total.  Prints each problem
# with its line number and exits 1, or exits 0 silently.

function problem(msg) {
	print "prom: line " NR ": " msg ": " $0 > "/dev/stderr"
	failed = 1
}

# The family a sample's name belongs to (histograms and summaries add
# suffixes to theirs).
function family_of(name,   base) {
	base = name
	sub(/_(bucket|count|sum)$/, "", base)
	if (base != name && (type[base] == "histogram" || type[base] == "summary"))
		return base
	return name
}

function value_ok(v) {
	return v ~ /^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?|Inf|NaN)$/ && v != "-NaN" && v != "+NaN"
}

# Parses the label set at the start of s ("{...}"); sets LABELS (the set
# in canonical form) and REST (what follows); 0 on a syntax error.
function labels(s,   out, name, c, v, seen) {
	s = substr(s, 2)
	out = ""
	split("", seen)
	for (;;) {
		if (substr(s, 1, 1) == "}") {
			LABELS = out
			REST = substr(s, 2)
			return 1
		}
		if (!match(s, /^[a-zA-Z_][a-zA-Z0-9_]*="/))
			return 0
		name = substr(s, 1, RLENGTH - 2)
		if (name ~ /^__/ || name in seen)
			return 0
		seen[name] = 1
		s = substr(s, RLENGTH + 1)
		v = ""
		for (;;) {
			c = substr(s, 1, 1)
			if (c == "")
				return 0
			if (c == "\"")
				break
			if (c == "\\") {
				c = substr(s, 2, 1)
				if (c != "\\" && c != "\"" && c != "n")
					return 0
				v = v "\\" c
				s = substr(s, 3)
				continue
			}
			if (c == "\n")
				return 0
			v = v c
			s = substr(s, 2)
		}
		s = substr(s, 2)
		out = out name "=\"" v "\","
		c = substr(s, 1, 1)
		if (c == ",")
			s = substr(s, 2)
		else if (c != "}")
			return 0
	}
}

/\r/ {
	problem("carriage return")
	next
}

/^[ \t]*$/ {
	next
}

/^#/ {
	if ($2 != "HELP" && $2 != "TYPE")
		next
	if ($3 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/) {
		problem("bad metric name in " $2)
		next
	}
	if ($2 == "HELP") {
		if ($3 in help)
			problem("second HELP for " $3)
		help[$3] = 1
		doc = $0
		sub(/^# HELP [^ ]+ ?/, "", doc)
		gsub(/\\\\/, "", doc)
		if (doc ~ /\\[^n]|\\$/)
			problem("bad escape in HELP")
		if (doc == "")
			problem("empty HELP")
	} else {
		if (NF != 4 || $4 !~ /^(counter|gauge|histogram|summary|untyped)$/)
			problem("bad TYPE line")
		else if ($3 in type)
			problem("second TYPE for " $3)
		else if ($3 in sampled)
			problem("TYPE after samples of " $3)
		type[$3] = $4
	}
	if ($3 in done)
		problem("family " $3 " continues after another began")
	if (current != "" && current != $3)
		done[current] = 1
	current = $3
	families[$3] = 1
	next
}

{
	if (!match($0, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) {
		problem("bad metric name")
		next
	}
	name = substr($0, 1, RLENGTH)
	rest = substr($0, RLENGTH + 1)
	LABELS = ""
	if (substr(rest, 1, 1) == "{") {
		if (!labels(rest)) {
			problem("bad label set")
			next
		}
		rest = REST
	}
	n = split(rest, f, " ")
	if (substr(rest, 1, 1) != " " || n < 1 || n > 2 || !value_ok(f[1]) ||
	    (n == 2 && f[2] !~ /^-?[0-9]+$/)) {
		problem("bad value or timestamp")
		next
	}
	fam = family_of(name)
	if (fam in done)
		problem("samples of " fam " are not one group")
	if (current != "" && current != fam)
		done[current] = 1
	current = fam
	families[fam] = 1
	sampled[fam] = 1
	if ((name, LABELS) in series)
		problem("repeated series")
	series[name, LABELS] = 1
	samples++
}

END {
	for (fam in families) {
		if (!(fam in help)) {
			print "prom: " fam ": no HELP" > "/dev/stderr"
			failed = 1
		}
		if (type[fam] == "counter" && fam !~ /_total$/) {
			print "prom: counter " fam " does not end in _total" > "/dev/stderr"
			failed = 1
		}
	}
	if (!samples) {
		print "prom: no samples" > "/dev/stderr"
		failed = 1
	}
	exit failed
}
