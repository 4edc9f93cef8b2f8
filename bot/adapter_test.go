package bot

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// The adapter only translates: every state change goes through a use-case
// in commands. Held here by reading the package's source: no function
// handed a store.Tx (an outbox Apply, say) may touch it itself, only pass
// it on to a use-case, and the bot opens no store transaction of its own.
func TestTheAdapterChangesStateOnlyThroughCommands(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, v := range storeUses(fset, f) {
			t.Errorf("%s: the adapter must call a use-case in commands instead", v)
		}
	}
	if checked == 0 {
		t.Fatal("no source files found")
	}
}

// storeUses catches what it must: a transaction used in the bot, a
// transaction opened by the bot.
func TestStoreUsesFindsWritesAndTransactions(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"a job result written by hand", `package bot
func set(n uint64) outbox.Apply {
	return func(tx store.Tx) error {
		inc, err := tx.Incident(n)
		if err != nil {
			return err
		}
		return tx.PutIncident(inc)
	}
}`, []string{"tx.Incident", "tx.PutIncident"}},
		{"a delivery failure appended by hand", `package bot
func failed(tx store.Tx, job store.Job, cause error) error {
	_, err := tx.AppendEvent(job.Incident, incident.Event{})
	return err
}`, []string{"tx.AppendEvent"}},
		{"a transaction of its own", `package bot
func (e *eventHandler) first(ctx context.Context, id string) {
	_ = e.store.Update(ctx, func(t store.Tx) error { return nil })
}`, []string{"opens a store transaction (Update)"}},
		{"a read of its own", `package bot
func (p *Performer) load(n uint64) {
	_ = p.store.View(func(tx store.Tx) error { return nil })
}`, []string{"opens a store transaction (View)"}},
		{"a result recorded through commands", `package bot
func (p *Performer) set(n uint64, id string) outbox.Apply {
	return func(tx store.Tx) error { return p.cmds.RecordChannelCreated(tx, n, id, "") }
}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "x.go", tt.src, 0)
			if err != nil {
				t.Fatal(err)
			}
			got := storeUses(fset, f)
			if len(got) != len(tt.want) {
				t.Fatalf("found %q, want %q", got, tt.want)
			}
			for i, w := range tt.want {
				if !strings.HasSuffix(got[i], w) {
					t.Errorf("finding %d is %q, want it to end with %q", i, got[i], w)
				}
			}
		})
	}
}

// storeUses lists, by position, each use of a store.Tx parameter other
// than handing it on (tx.PutIncident(…), tx.AppendEvent(…)) and each
// transaction the code opens (x.Update(ctx, func(tx store.Tx) …)).
func storeUses(fset *token.FileSet, f *ast.File) []string {
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if ok && (sel.Sel.Name == "Update" || sel.Sel.Name == "View") && takesTxFunc(n.Args) {
				out = append(out, fset.Position(n.Pos()).String()+": opens a store transaction ("+sel.Sel.Name+")")
			}
		case *ast.FuncDecl:
			out = append(out, txSelectors(fset, n.Type, n.Body)...)
		case *ast.FuncLit:
			out = append(out, txSelectors(fset, n.Type, n.Body)...)
		}
		return true
	})
	return out
}

// txSelectors lists the selectors (tx.X) on the function's store.Tx
// parameters within its body.
func txSelectors(fset *token.FileSet, ft *ast.FuncType, body *ast.BlockStmt) []string {
	if body == nil || ft.Params == nil {
		return nil
	}
	var out []string
	for _, field := range ft.Params.List {
		if !isStoreTx(field.Type) {
			continue
		}
		for _, name := range field.Names {
			ast.Inspect(body, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && id.Obj != nil && id.Obj == name.Obj {
						out = append(out, fset.Position(sel.Pos()).String()+": "+id.Name+"."+sel.Sel.Name)
					}
				}
				return true
			})
		}
	}
	return out
}

func takesTxFunc(args []ast.Expr) bool {
	for _, a := range args {
		if fl, ok := a.(*ast.FuncLit); ok && fl.Type.Params != nil {
			for _, field := range fl.Type.Params.List {
				if isStoreTx(field.Type) {
					return true
				}
			}
		}
	}
	return false
}

// isStoreTx reports whether expr is store.Tx (or *store.Tx, its name
// before the storage contract became an interface).
func isStoreTx(expr ast.Expr) bool {
	if star, ok := expr.(*ast.StarExpr); ok {
		expr = star.X
	}
	sel, ok := expr.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "store" && sel.Sel.Name == "Tx"
}
