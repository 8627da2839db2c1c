package ir

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The text form of a graph. Print writes it and Parse reads it back; for any graph that
// passes Verify, Parse(Print(g)) succeeds, passes Verify and prints identically. Example:
//
//	graph mlp(%x: f32[N,20]) -> (%probs) {
//	  const %dense_1.kernel: f32[20,32] = sha256:1a2b3c4d5e6f7a8b
//	  const %dense_1.bias: f32[2] = [0.5, -1.0]
//	  %dense_1 = MatMul(%x, %dense_1.kernel, %dense_1.bias) {act="relu"} : f32[N,32]  # dense_1
//	  %probs = Softmax(%dense_1) {axis=-1} : f32[N,32]  # "out layer"
//	}
//
// Grammar (EBNF; tokens may be separated by spaces and tabs, and newlines end statements):
//
//	graph   = { nl } "graph" name "(" [ param { "," param } ] ")" "->" "(" [ value { "," value } ] ")" "{" nl
//	          { [ const | op ] nl } "}" { nl } .
//	param   = value ":" type .
//	const   = "const" value ":" type "=" ( "[" [ number { "," number } ] "]" | "sha256" ":" hex ) .
//	number  = int | float .
//	op      = value { "," value } "=" kind "(" [ value { "," value } ] ")" [ attrs ] ":" type { "," type } [ layer ] .
//	attrs   = "{" [ attr { "," attr } ] "}" .
//	attr    = ( ident | string ) "=" ( int | float | string | "true" | "false" | list ) .
//	list    = "[" [ int { "," int } | float { "," float } ] "]" .
//	type    = ( "f32" | "i32" | "i64" | "bool" ) "[" [ dim { "," dim } ] "]" .
//	dim     = digits | "N" | "T" | "S" digits .        (N: Batch, T: Time, S<k>: Dim(-k), k ≥ 3)
//	value   = "%" name .
//	name    = bare | string .
//	layer   = "#" ( bare | string ) .                  (to the end of the line: Op.Layer)
//	bare    = { letter | digit | "_" | "." | "-" | "/" }+ .   (ASCII letters)
//	string  = a Go double-quoted string literal (strconv.Quote) .
//	int     = [ "+" | "-" ] digits .
//	float   = [ "+" | "-" ] ( digits "." { digit } | digits [ "." { digit } ] exp | "." digits [ exp ] | "Inf" ) | "NaN" .
//	exp     = ( "e" | "E" ) [ "+" | "-" ] digits .
//	hex     = 1 to 64 lowercase hex digits .
//	kind    = a key of Ops .
//	ident   = ( letter | "_" ) { letter | digit | "_" } .
//
// Names print bare when they are non-empty and use only the bare characters, quoted
// otherwise. Attributes print sorted by name; floats print with strconv's shortest form
// and always carry a "." or an exponent, so that they read back as floats. A constant of at
// most 16 elements prints its data inline; a larger one prints the first 64 bits of the
// SHA-256 of its data (little-endian float32s) instead. Parse fills such a constant with
// zeros and remembers the hash, which Print writes back while the data is still all zeros.
//
// The empty list [] of an attribute reads as []float64 when the op's attribute is a float
// list, as []int otherwise.

// inlineMax is the largest constant whose data Print writes inline.
const inlineMax = 16

// maxDim bounds the static dims and symbol numbers Parse accepts.
const maxDim = 1<<31 - 1

// maxParseElems bounds the total number of constant elements one Parse allocates.
var maxParseElems int64 = 1 << 28

// Print returns the text form of g (empty for a nil g). It is deterministic. It prints
// graphs that fail Verify as well as it can, but only a verified graph is sure to parse.
func Print(g *Graph) string {
	if g == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "graph %s(", quoteName(g.Name))
	for i, x := range g.Inputs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(valueRef(x))
		if x != nil {
			b.WriteString(": " + x.Type.String())
		}
	}
	b.WriteString(") -> (")
	writeRefs(&b, g.Outputs)
	b.WriteString(") {\n")
	for _, c := range g.Consts {
		if c == nil {
			b.WriteString("  const %<nil>\n")
			continue
		}
		fmt.Fprintf(&b, "  const %s: %v = %s\n", valueRef(c), c.Type, constText(c))
	}
	for _, op := range g.Ops {
		if op == nil {
			b.WriteString("  <nil op>\n")
			continue
		}
		b.WriteString("  ")
		writeRefs(&b, op.Out)
		fmt.Fprintf(&b, " = %s(", quoteName(op.Kind))
		writeRefs(&b, op.In)
		b.WriteString(")")
		if len(op.Attrs) > 0 {
			b.WriteString(" {")
			for i, k := range op.Attrs.Keys() {
				if i > 0 {
					b.WriteString(", ")
				}
				if isIdent(k) {
					b.WriteString(k)
				} else {
					b.WriteString(strconv.Quote(k))
				}
				b.WriteString("=" + attrText(op.Attrs[k]))
			}
			b.WriteString("}")
		}
		b.WriteString(" : ")
		for i, o := range op.Out {
			if i > 0 {
				b.WriteString(", ")
			}
			if o != nil {
				b.WriteString(o.Type.String())
			}
		}
		if op.Layer != "" {
			b.WriteString("  # " + quoteName(op.Layer))
		}
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	return b.String()
}

func writeRefs(b *strings.Builder, vs []*Value) {
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(valueRef(v))
	}
}

// isBare reports whether s prints without quotes: non-empty, only [A-Za-z0-9_.\-/].
func isBare(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isBareByte(s[i]) {
			return false
		}
	}
	return true
}

func isBareByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '.' || c == '-' || c == '/'
}

// isIdent reports whether s is an identifier: [A-Za-z_][A-Za-z0-9_]*.
func isIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

// quoteName returns s bare when it can be, quoted with strconv.Quote otherwise.
func quoteName(s string) string {
	if isBare(s) {
		return s
	}
	return strconv.Quote(s)
}

// formatFloat formats f in the shortest form that reads back exactly at the given bit
// size, with a ".0" added when it would otherwise read as an integer.
func formatFloat(f float64, bits int) string {
	s := strconv.FormatFloat(f, 'g', -1, bits)
	if strings.Trim(s, "-0123456789") == "" {
		s += ".0"
	}
	return s
}

// attrText formats one attribute value; values of types Attrs does not allow print as
// <T>, which does not parse.
func attrText(v any) string {
	switch v := v.(type) {
	case int:
		return strconv.Itoa(v)
	case float64:
		return formatFloat(v, 64)
	case string:
		return strconv.Quote(v)
	case bool:
		return strconv.FormatBool(v)
	case []int:
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = strconv.Itoa(x)
		}
		return "[" + strings.Join(s, ",") + "]"
	case []float64:
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = formatFloat(x, 64)
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	return fmt.Sprintf("<%T>", v)
}

// constText formats a constant's data: inline up to inlineMax elements, else its hash.
func constText(c *Value) string {
	if len(c.Data) <= inlineMax {
		s := make([]string, len(c.Data))
		for i, x := range c.Data {
			s[i] = formatFloat(float64(x), 32)
		}
		return "[" + strings.Join(s, ", ") + "]"
	}
	if c.parsedHash != "" && allZero(c.Data) {
		return "sha256:" + c.parsedHash
	}
	return "sha256:" + dataHash(c.Data)
}

// dataHash is the first 64 bits, in hex, of the SHA-256 of data as little-endian float32s.
func dataHash(data []float32) string {
	h := sha256.New()
	var buf [4096]byte
	for len(data) > 0 {
		n := min(len(data), len(buf)/4)
		for i, x := range data[:n] {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
		}
		h.Write(buf[:4*n])
		data = data[n:]
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func allZero(data []float32) bool {
	for _, x := range data {
		if math.Float32bits(x) != 0 {
			return false
		}
	}
	return true
}

// ParseError is a syntax or semantic error in a graph's text, at a line and a column
// (1-based; the column counts bytes).
type ParseError struct {
	Line, Col int
	Msg       string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("ir: parse: line %d, col %d: %s", e.Line, e.Col, e.Msg)
}

// Parse reads a graph in the text form Print writes. Errors are *ParseError naming the
// line and column, except for a failure of the final Verify (which the checks made while
// parsing should make impossible). Parse accepts any input without panicking; it refuses
// constants holding more than 1<<28 elements in all before allocating them.
func Parse(text string) (g *Graph, err error) {
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*ParseError)
			if !ok {
				panic(r)
			}
			g, err = nil, pe
		}
	}()
	p := &parser{lx: lexer{src: text, line: 1}, vals: map[string]*Value{}}
	p.advance()
	p.graph()
	if err := Verify(p.g); err != nil {
		return nil, fmt.Errorf("ir: parse: %w", err)
	}
	return p.g, nil
}

// Tokens.

type tokKind uint8

const (
	tEOF     tokKind = iota
	tNewline         // "\n"
	tWord            // a run of letters, digits and _ . - + /
	tValue           // %name; text holds the name, unquoted
	tString          // a quoted string; text holds it unquoted
	tLayer           // # to the end of the line; text holds the rest of the line, trimmed
	tPunct           // one of ( ) [ ] { } , : = or ->
)

type token struct {
	kind      tokKind
	text      string
	line, col int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tNewline:
		return "end of line"
	case tValue:
		return "%" + quoteName(t.text)
	case tString:
		return strconv.Quote(t.text)
	case tLayer:
		return "#"
	}
	return strconv.Quote(t.text)
}

type lexer struct {
	src       string
	pos       int
	line      int
	lineStart int
}

func (lx *lexer) failf(format string, args ...any) {
	panic(&ParseError{Line: lx.line, Col: lx.pos - lx.lineStart + 1, Msg: fmt.Sprintf(format, args...)})
}

func isWordByte(c byte) bool { return isBareByte(c) || c == '+' }

// next scans the next token.
func (lx *lexer) next() token {
	for lx.pos < len(lx.src) && (lx.src[lx.pos] == ' ' || lx.src[lx.pos] == '\t' || lx.src[lx.pos] == '\r') {
		lx.pos++
	}
	t := token{line: lx.line, col: lx.pos - lx.lineStart + 1}
	if lx.pos >= len(lx.src) {
		return t
	}
	start, c := lx.pos, lx.src[lx.pos]
	switch {
	case c == '\n':
		lx.pos++
		lx.line, lx.lineStart = lx.line+1, lx.pos
		t.kind = tNewline
	case c == '#':
		end := strings.IndexByte(lx.src[start:], '\n')
		if end < 0 {
			end = len(lx.src) - start
		}
		lx.pos = start + end
		t.kind, t.text = tLayer, strings.Trim(lx.src[start+1:lx.pos], " \t\r")
	case c == '%':
		lx.pos++
		t.kind = tValue
		if lx.pos < len(lx.src) && lx.src[lx.pos] == '"' {
			t.text = lx.quoted()
		} else {
			for lx.pos < len(lx.src) && isBareByte(lx.src[lx.pos]) {
				lx.pos++
			}
			t.text = lx.src[start+1 : lx.pos]
		}
		if t.text == "" {
			lx.pos = start
			lx.failf("empty value name")
		}
	case c == '"':
		t.kind, t.text = tString, lx.quoted()
	case c == '-' && strings.HasPrefix(lx.src[start:], "->"):
		lx.pos += 2
		t.kind, t.text = tPunct, "->"
	case strings.IndexByte("()[]{},:=", c) >= 0:
		lx.pos++
		t.kind, t.text = tPunct, lx.src[start:lx.pos]
	case isWordByte(c):
		for lx.pos < len(lx.src) && isWordByte(lx.src[lx.pos]) {
			lx.pos++
		}
		t.kind, t.text = tWord, lx.src[start:lx.pos]
	default:
		lx.failf("unexpected character %q", c)
	}
	return t
}

// quoted scans a double-quoted Go string at pos and returns it unquoted.
func (lx *lexer) quoted() string {
	q, err := strconv.QuotedPrefix(lx.src[lx.pos:])
	if err == nil {
		var s string
		if s, err = strconv.Unquote(q); err == nil {
			lx.pos += len(q)
			return s
		}
	}
	lx.failf("malformed quoted string")
	return ""
}

// The parser.

type parser struct {
	lx    lexer
	tok   token
	g     *Graph
	vals  map[string]*Value
	elems int64 // constant elements allocated so far
}

func (p *parser) advance() { p.tok = p.lx.next() }

func (p *parser) failAt(t token, format string, args ...any) {
	panic(&ParseError{Line: t.line, Col: t.col, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) is(kind tokKind, text string) bool {
	return p.tok.kind == kind && p.tok.text == text
}

// expect consumes the punctuation or word text, or fails.
func (p *parser) expect(kind tokKind, text string) token {
	t := p.tok
	if !p.is(kind, text) {
		p.failAt(t, "expected %q, found %v", text, t)
	}
	p.advance()
	return t
}

// want consumes a token of the kind, or fails naming what was expected.
func (p *parser) want(kind tokKind, what string) token {
	t := p.tok
	if t.kind != kind {
		p.failAt(t, "expected %s, found %v", what, t)
	}
	p.advance()
	return t
}

func (p *parser) skipNewlines() {
	for p.tok.kind == tNewline {
		p.advance()
	}
}

// endLine consumes the newline that ends a statement.
func (p *parser) endLine() {
	if p.tok.kind != tEOF {
		p.want(tNewline, "end of line")
	}
}

func (p *parser) graph() {
	p.skipNewlines()
	p.expect(tWord, "graph")
	p.g = NewGraph(p.name())
	p.expect(tPunct, "(")
	for !p.is(tPunct, ")") {
		if len(p.g.Inputs) > 0 {
			p.expect(tPunct, ",")
		}
		t := p.newValueName()
		p.expect(tPunct, ":")
		p.vals[t.text] = p.g.AddInput(t.text, p.typ())
	}
	p.advance()
	p.expect(tPunct, "->")
	p.expect(tPunct, "(")
	var outs []token
	for !p.is(tPunct, ")") {
		if len(outs) > 0 {
			p.expect(tPunct, ",")
		}
		outs = append(outs, p.want(tValue, "a value"))
	}
	p.advance()
	p.expect(tPunct, "{")
	p.want(tNewline, "end of line")
	for {
		p.skipNewlines()
		switch {
		case p.is(tPunct, "}"):
			p.advance()
			p.skipNewlines()
			if p.tok.kind != tEOF {
				p.failAt(p.tok, "unexpected %v after the graph", p.tok)
			}
			for _, t := range outs {
				v, ok := p.vals[t.text]
				if !ok {
					p.failAt(t, "output %v is not defined", t)
				}
				p.g.Outputs = append(p.g.Outputs, v)
			}
			return
		case p.is(tWord, "const"):
			p.constant()
		case p.tok.kind == tValue:
			p.op()
		default:
			p.failAt(p.tok, "expected const, an op or }, found %v", p.tok)
		}
		p.endLine()
	}
}

// name reads a graph name: a bare word or a quoted string.
func (p *parser) name() string {
	t := p.tok
	switch {
	case t.kind == tString:
	case t.kind == tWord && isBare(t.text):
	default:
		p.failAt(t, "expected a name, found %v", t)
	}
	p.advance()
	return t.text
}

// newValueName reads a value being defined: its name must be new and non-empty.
func (p *parser) newValueName() token {
	t := p.want(tValue, "a value")
	if t.text == "" {
		p.failAt(t, "empty value name")
	}
	if _, dup := p.vals[t.text]; dup {
		p.failAt(t, "%v is already defined", t)
	}
	return t
}

var dtypeByName = map[string]DType{"f32": F32, "i32": I32, "i64": I64, "bool": Bool}

// typ reads a type such as f32[N,20].
func (p *parser) typ() Type {
	t := p.want(tWord, "a type")
	dt, ok := dtypeByName[t.text]
	if !ok {
		p.failAt(t, "unknown dtype %q", t.text)
	}
	p.expect(tPunct, "[")
	shape := Shape{}
	for !p.is(tPunct, "]") {
		if len(shape) > 0 {
			p.expect(tPunct, ",")
		}
		d := p.want(tWord, "a dimension")
		shape = append(shape, p.dim(d))
	}
	p.advance()
	return Type{dt, shape}
}

// dim reads one dimension: a size, N, T or S<k>.
func (p *parser) dim(t token) Dim {
	s := t.text
	switch {
	case s == "N":
		return Batch
	case s == "T":
		return Time
	case isDigits(s):
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n <= maxDim {
			return Dim(n)
		}
	case len(s) > 1 && s[0] == 'S' && isDigits(s[1:]):
		if n, err := strconv.ParseInt(s[1:], 10, 64); err == nil && n >= 3 && n <= maxDim {
			return Dim(-n)
		}
	}
	p.failAt(t, "bad dimension %q (want 0..%d, N, T or S<k> with 3 ≤ k ≤ %d)", s, maxDim, maxDim)
	return 0
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// constant reads: const %name: type = [data] | sha256:hash.
func (p *parser) constant() {
	p.advance()
	nt := p.newValueName()
	p.expect(tPunct, ":")
	tt := p.tok
	typ := p.typ()
	p.expect(tPunct, "=")
	if !typ.Shape.Static() {
		p.failAt(tt, "constant with symbolic shape %v", typ.Shape)
	}
	n, ok := elemCount(typ.Shape, maxParseElems-p.elems)
	if !ok {
		p.failAt(tt, "constants of more than %d elements in all", maxParseElems)
	}
	var data []float32
	hash := ""
	switch {
	case p.is(tPunct, "["):
		data = p.constData(n)
	case p.is(tWord, "sha256"):
		p.advance()
		p.expect(tPunct, ":")
		h := p.want(tWord, "a hash")
		if !isHash(h.text) {
			p.failAt(h, "bad hash %q (want 1 to 64 lowercase hex digits)", h.text)
		}
		if n <= inlineMax {
			p.failAt(h, "a constant of %d elements must be written inline", n)
		}
		data, hash = make([]float32, n), h.text
	default:
		p.failAt(p.tok, "expected [data] or sha256:hash, found %v", p.tok)
	}
	p.elems += n
	c := p.g.AddConst(nt.text, typ.Shape, data)
	c.Type.DType, c.parsedHash = typ.DType, hash
	p.vals[nt.text] = c
}

// constData reads exactly n numbers in brackets.
func (p *parser) constData(n int64) []float32 {
	start := p.expect(tPunct, "[")
	data := []float32{}
	for !p.is(tPunct, "]") {
		if len(data) > 0 {
			p.expect(tPunct, ",")
		}
		t := p.want(tWord, "a number")
		if int64(len(data)) == n {
			p.failAt(t, "more than %d elements", n)
		}
		if numberKind(t.text) == 0 {
			p.failAt(t, "bad number %q", t.text)
		}
		f, err := strconv.ParseFloat(t.text, 32)
		if err != nil {
			p.failAt(t, "bad float32 %q", t.text)
		}
		data = append(data, float32(f))
	}
	if int64(len(data)) != n {
		p.failAt(start, "%d elements for a constant of %d", len(data), n)
	}
	p.advance()
	return data
}

func isHash(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// op reads: %out, ... = Kind(%in, ...) {attrs} : type, ...  # layer
func (p *parser) op() {
	var names []token
	for {
		t := p.newValueName()
		for _, u := range names {
			if u.text == t.text {
				p.failAt(t, "%v is already defined", t)
			}
		}
		names = append(names, t)
		if p.is(tPunct, "=") {
			break
		}
		p.expect(tPunct, ",")
	}
	p.advance()
	kt := p.want(tWord, "an op kind")
	def, ok := Ops[kt.text]
	if !ok {
		p.failAt(kt, "unknown op kind %q", kt.text)
	}
	p.expect(tPunct, "(")
	var in []*Value
	for !p.is(tPunct, ")") {
		if len(in) > 0 {
			p.expect(tPunct, ",")
		}
		t := p.want(tValue, "a value")
		v, ok := p.vals[t.text]
		if !ok {
			p.failAt(t, "%v is not defined (values must be defined before use)", t)
		}
		in = append(in, v)
	}
	p.advance()
	attrs := Attrs{}
	if p.is(tPunct, "{") {
		attrs = p.attrs(def)
	}
	p.expect(tPunct, ":")
	var types []Type
	var typeToks []token
	for {
		typeToks = append(typeToks, p.tok)
		types = append(types, p.typ())
		if !p.is(tPunct, ",") {
			break
		}
		p.advance()
	}
	layer := ""
	if p.tok.kind == tLayer {
		layer = p.layer(p.tok)
		p.advance()
	}
	outNames := make([]string, len(names))
	for i, t := range names {
		outNames[i] = t.text
	}
	outs, err := p.g.AddOp(kt.text, layer, in, attrs, outNames...)
	if err != nil {
		p.failAt(kt, "%v", err)
	}
	if len(outs) != len(names) {
		p.failAt(names[0], "%s has %d outputs, %d are named", kt.text, len(outs), len(names))
	}
	for i, o := range outs {
		if o.Type.DType != types[i].DType || !o.Type.Shape.Equal(types[i].Shape) {
			p.failAt(typeToks[i], "type %v, but the shape rule gives %v", types[i], o.Type)
		}
		p.vals[o.Name] = o
	}
}

// layer reads the text of a # comment: a bare or quoted layer name.
func (p *parser) layer(t token) string {
	s := t.text
	if isBare(s) {
		return s
	}
	if strings.HasPrefix(s, `"`) {
		if q, err := strconv.QuotedPrefix(s); err == nil && len(q) == len(s) {
			if u, err := strconv.Unquote(q); err == nil {
				return u
			}
		}
	}
	p.failAt(t, "layer comment %q is neither a bare nor a quoted name", s)
	return ""
}

// attrs reads {name=value, ...}; def gives the kinds of attributes written [].
func (p *parser) attrs(def *OpDef) Attrs {
	p.advance()
	a := Attrs{}
	for !p.is(tPunct, "}") {
		if len(a) > 0 {
			p.expect(tPunct, ",")
		}
		t := p.tok
		if !(t.kind == tWord && isIdent(t.text) || t.kind == tString) {
			p.failAt(t, "expected an attribute name, found %v", t)
		}
		p.advance()
		if _, dup := a[t.text]; dup {
			p.failAt(t, "attribute %q repeated", t.text)
		}
		p.expect(tPunct, "=")
		a[t.text] = p.attrValue(def.attrs[t.text].kind)
	}
	p.advance()
	return a
}

// attrValue reads one attribute value; kind is the attribute's declared kind (0 if none).
func (p *parser) attrValue(kind byte) any {
	t := p.tok
	switch {
	case t.kind == tString:
		p.advance()
		return t.text
	case p.is(tWord, "true"), p.is(tWord, "false"):
		p.advance()
		return t.text == "true"
	case t.kind == tWord:
		p.advance()
		return p.number(t)
	case p.is(tPunct, "["):
		p.advance()
		var ints []int
		var floats []float64
		for !p.is(tPunct, "]") {
			if len(ints)+len(floats) > 0 {
				p.expect(tPunct, ",")
			}
			e := p.want(tWord, "a number")
			switch x := p.number(e).(type) {
			case int:
				ints = append(ints, x)
			case float64:
				floats = append(floats, x)
			}
			if ints != nil && floats != nil {
				p.failAt(e, "list mixes ints and floats")
			}
		}
		p.advance()
		switch {
		case floats != nil:
			return floats
		case ints != nil:
			return ints
		case kind == 'F':
			return []float64{}
		}
		return []int{}
	}
	p.failAt(t, "expected an attribute value, found %v", t)
	return nil
}

// number parses an int or float literal.
func (p *parser) number(t token) any {
	switch numberKind(t.text) {
	case 'i':
		if n, err := strconv.ParseInt(t.text, 10, strconv.IntSize); err == nil {
			return int(n)
		}
		p.failAt(t, "integer %s out of range", t.text)
	case 'f':
		if f, err := strconv.ParseFloat(t.text, 64); err == nil {
			return f
		}
		p.failAt(t, "float %s out of range", t.text)
	}
	p.failAt(t, "bad number %q", t.text)
	return nil
}

// numberKind classifies s as an int literal ('i'), a float literal ('f') or neither (0),
// following the grammar's int and float.
func numberKind(s string) byte {
	if s == "NaN" {
		return 'f'
	}
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "Inf" {
		return 'f'
	}
	digits := func() int {
		n := 0
		for n < len(s) && '0' <= s[n] && s[n] <= '9' {
			n++
		}
		s = s[n:]
		return n
	}
	mant := digits()
	if s == "" {
		if mant > 0 {
			return 'i'
		}
		return 0
	}
	if s[0] == '.' {
		s = s[1:]
		mant += digits()
		if s == "" {
			if mant > 0 {
				return 'f'
			}
			return 0
		}
	}
	if mant == 0 || (s[0] != 'e' && s[0] != 'E') {
		return 0
	}
	s = s[1:]
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if digits() == 0 || s != "" {
		return 0
	}
	return 'f'
}
