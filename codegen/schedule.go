package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/kerasgen/kerasgen/ir"
	"github.com/kerasgen/kerasgen/passes"
)

// Micro-batches (passes.Schedule): when the schedule pass marked a trunk (a prefix of the ops
// with the attribute microbatch = mb), the package runs it mb samples at a time and then the
// head on the whole batch. The trunk and the head are planned and emitted as two graphs:
// forwardTrunk (inputs → the cut value) over an arena of trunkRows per sample of the
// micro-batch, and forward (the cut → outputs) over arenaRows per sample of the batch; the
// cut, cutRows values per sample, has its own region. With more than one thread
// (runtime.Threads) the trunk runs in one step, the whole batch layer by layer, each op
// splitting the batch's images across the threads in one handoff: micro-batches would cost a
// handoff per op per step (a sleeping worker takes 10–20 µs to wake on these shared machines,
// far more when they are loaded; resnet_small at batch 32 on two threads ran 80 ms in
// one-sample steps against 53 ms layer by layer). Run lays the arena out as
// [cut | trunk arena | head arena | fixed scratch]: the trunk's fixed scratch, after its own
// rows, may reach into the head's region, which holds nothing until the head runs. Without a
// head (the whole graph is the trunk) forward is the trunk, called once per micro-batch on
// slices of the inputs and outputs.

// schedule is the schedule pass's decision for a graph.
type schedule struct {
	trunk int       // ops in the trunk; 0: the whole batch layer by layer
	mb    int       // samples per micro-batch
	cut   *ir.Value // the value the head reads; nil when there is no head
}

// scheduleOf reads the schedule pass's attributes off g.
func scheduleOf(g *ir.Graph) (schedule, error) {
	var s schedule
	for i, op := range g.Ops {
		mb := op.Attrs.Int("microbatch", 0)
		switch {
		case mb > 0 && i == s.trunk && (s.mb == 0 || s.mb == mb):
			s.trunk, s.mb = i+1, mb
		case mb != 0:
			return s, fmt.Errorf("%s (layer %s): microbatch %d: the trunk must be a prefix of the ops with one micro-batch size", op.Kind, op.Layer, mb)
		}
	}
	if s.trunk == 0 || s.trunk == len(g.Ops) {
		return s, nil
	}
	in := map[*ir.Value]bool{}
	for _, v := range g.Inputs {
		in[v] = true
	}
	for _, op := range g.Ops[:s.trunk] {
		for _, v := range op.Out {
			in[v] = true
		}
	}
	reads := append([]*ir.Value{}, g.Outputs...)
	for _, op := range g.Ops[s.trunk:] {
		reads = append(reads, op.In...)
	}
	for _, v := range reads {
		if !in[v] || v == s.cut {
			continue
		}
		if s.cut != nil {
			return s, fmt.Errorf("the trunk's values %s and %s are both read after it: a trunk has one cut value", s.cut.Name, v.Name)
		}
		s.cut = v
	}
	if s.cut == nil || !hasBatch(s.cut) {
		return s, fmt.Errorf("the head reads no batched value of the trunk")
	}
	return s, nil
}

// subgraph is g restricted to ops, reading inputs and producing outputs.
func subgraph(g *ir.Graph, ops []*ir.Op, inputs, outputs []*ir.Value) *ir.Graph {
	return &ir.Graph{Name: g.Name, Inputs: inputs, Outputs: outputs, Consts: g.Consts, Ops: ops}
}

// forwards emits the forward functions' bodies: forward's, and forwardTrunk's when the
// schedule has a head (else nil). It sets gen.plan to the plan of the graph forward runs and
// returns the trunk's plan rows (0 without a head).
func (gen *generator) forwards(s schedule, outNames []string) (fwd, trunk []jen.Code, trunkRows int, err error) {
	g := gen.g
	if s.cut == nil {
		fwd, err = gen.forward(g, outNames, "arenaRows")
		return fwd, nil, 0, err
	}
	gen.plan = passes.PlanMemory(subgraph(g, g.Ops[:s.trunk], g.Inputs, []*ir.Value{s.cut}))
	trunk, err = gen.forward(subgraph(g, g.Ops[:s.trunk], g.Inputs, []*ir.Value{s.cut}), []string{gen.ident(s.cut.Name + "Out")}, "trunkRows")
	if err != nil {
		return nil, nil, 0, err
	}
	trunkRows = gen.plan.Rows + gen.scratchRows
	head := subgraph(g, g.Ops[s.trunk:], []*ir.Value{s.cut}, g.Outputs)
	gen.names[s.cut] = gen.ident(s.cut.Name)
	gen.plan = passes.PlanMemory(head)
	fwd, err = gen.forward(head, outNames, "arenaRows")
	return fwd, trunk, trunkRows, err
}

// runMicroBatches returns Run's statements from the arena's allocation on for a scheduled
// graph: the trunk micro-batch by micro-batch, then the head.
func (gen *generator) runMicroBatches(s schedule) []jen.Code {
	g := gen.g
	chunk := func(list string, i int, v *ir.Value) jen.Code {
		rs := rowSize(v)
		return jen.Id(list).Index(jen.Lit(i)).Index(jen.Id("b0").Op("*").Lit(rs), jen.Parens(jen.Id("b0").Op("+").Id("nb")).Op("*").Lit(rs))
	}
	var ins []jen.Code
	for i, v := range g.Inputs {
		ins = append(ins, chunk("inputs", i, v))
	}
	step := jen.Id("step") // samples per step, set by Run (see the file comment)
	var arena, loopCall, after jen.Code
	if s.cut == nil {
		var outs []jen.Code
		for i, v := range g.Outputs {
			outs = append(outs, chunk("outputs", i, v))
		}
		arena = jen.Id("arenaRows").Op("*").Add(step).Op("+").Id("arenaFixed")
		loopCall = jen.Id("m").Dot("forward").Call(jen.Id("nb"), jen.Parens(jen.Op("*").Id("buf")),
			jen.Index().Index().Float32().Values(ins...), jen.Index().Index().Float32().Values(outs...))
		after = jen.Null()
	} else {
		cs := rowSize(s.cut)
		arena = jen.Id("cutRows").Op("*").Id("batch").Op("+").Id("trunkRows").Op("*").Add(step).Op("+").
			Id("arenaRows").Op("*").Id("batch").Op("+").Id("arenaFixed")
		cutChunk := jen.Id("cut").Index(jen.Id("b0").Op("*").Lit(cs), jen.Parens(jen.Id("b0").Op("+").Id("nb")).Op("*").Lit(cs))
		loopCall = jen.Id("m").Dot("forwardTrunk").Call(jen.Id("nb"), jen.Id("ta"),
			jen.Index().Index().Float32().Values(ins...), jen.Index().Index().Float32().Values(cutChunk))
		after = jen.Id("m").Dot("forward").Call(jen.Id("batch"),
			jen.Id("ta").Index(jen.Id("trunkRows").Op("*").Add(step).Op(":")),
			jen.Index().Index().Float32().Values(jen.Id("cut")), jen.Id("outputs"))
	}
	// With threads, one step: the whole batch layer by layer (see the file comment).
	code := []jen.Code{
		jen.Id("step").Op(":=").Id("batch"),
		jen.If(jen.Qual(RuntimePath, "Threads").Call().Op("==").Lit(1)).Block(jen.Id("step").Op("=").Id("min").Call(jen.Id("batch"), jen.Id("microBatch"))),
	}
	code = append(code, getArena(arena)...)
	if s.cut != nil {
		code = append(code,
			jen.Id("cut").Op(":=").Parens(jen.Op("*").Id("buf")).Index(jen.Op(":").Id("cutRows").Op("*").Id("batch")),
			jen.Id("ta").Op(":=").Parens(jen.Op("*").Id("buf")).Index(jen.Id("cutRows").Op("*").Id("batch").Op(":")))
	}
	code = append(code,
		jen.Comment(fmt.Sprintf("The trunk (%d ops) micro-batch by micro-batch (the schedule pass).", s.trunk)),
		jen.For(jen.Id("b0").Op(":=").Lit(0), jen.Id("b0").Op("<").Id("batch"), jen.Id("b0").Op("+=").Id("step")).Block(
			jen.Id("nb").Op(":=").Id("min").Call(jen.Id("step"), jen.Id("batch").Op("-").Id("b0")),
			loopCall,
		),
		after,
		jen.Id("m").Dot("arena").Dot("Put").Call(jen.Id("buf")),
		jen.Return(jen.Nil()),
	)
	return code
}
