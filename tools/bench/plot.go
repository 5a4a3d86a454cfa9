package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"sort"

	"github.com/spf13/cobra"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// row is the part of a bench result the plot needs.
type row struct {
	Chunks      int     `json:"chunks"`
	P50ms       float64 `json:"p50_ms"`
	P99ms       float64 `json:"p99_ms"`
	ColdP50ms   float64 `json:"cold_p50_ms"`
	ColdP99ms   float64 `json:"cold_p99_ms"`
	RSSMB       float64 `json:"rss_mb"`
	SearchMs    float64 `json:"search_ms"`
	BareQueryMs float64 `json:"bare_query_ms"`
}

// plotCmd is `bench plot`: answer latency and memory against corpus size,
// drawn from the JSON lines `bench run --json FILE` appends, one per corpus.
func (a *app) plotCmd() *cobra.Command {
	var in, out string
	cmd := &cobra.Command{
		Use:     "plot [--in results.jsonl] [--out bench-scaling.png]",
		Short:   "Draw latency and memory against corpus size from bench run --json results",
		Example: "  go run . plot --in results.jsonl --out ../../docs/bench-scaling.png",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := plotResults(in, out); err != nil {
				return fmt.Errorf("plot: %w", err)
			}
			fmt.Fprintf(a.stdout, "wrote %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&in, "in", "results.jsonl", "bench results, one JSON object per line")
	cmd.Flags().StringVar(&out, "out", "bench-scaling.png", "output image (.png or .svg)")
	return cmd
}

func plotResults(in, out string) error {
	rows, err := readResults(in)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return fmt.Errorf("no results in %s", in)
	}
	lat := plot.New()
	lat.Title.Text = "GET /api/ask latency, 8 clients (and in-process, 1 at a time)"
	lat.X.Label.Text = "chunks (thousands)"
	lat.Y.Label.Text = "ms"
	lat.Legend.Top, lat.Legend.Left = true, true
	series := []struct {
		name string
		y    func(row) float64
		dash bool
	}{
		{"cold p50, 8 clients (distinct questions)", func(r row) float64 { return r.ColdP50ms }, false},
		{"cold p99, 8 clients", func(r row) float64 { return r.ColdP99ms }, false},
		{"warm p50, 8 clients (repeated, cached)", func(r row) float64 { return r.P50ms }, true},
		{"warm p99, 8 clients", func(r row) float64 { return r.P99ms }, true},
		{"Engine.Search, 1 at a time", func(r row) float64 { return r.SearchMs }, false},
		{"bare chromem-go QueryEmbedding", func(r row) float64 { return r.BareQueryMs }, true},
	}
	for i, s := range series {
		if err := addLine(lat, s.name, rows, s.y, i, s.dash); err != nil {
			return err
		}
	}
	mem := plot.New()
	mem.Title.Text = "resident memory while serving"
	mem.X.Label.Text = "chunks (thousands)"
	mem.Y.Label.Text = "MB"
	mem.Legend.Top, mem.Legend.Left = true, true
	if err := addLine(mem, "RSS after the load", rows, func(r row) float64 { return r.RSSMB }, 6, false); err != nil {
		return err
	}
	const w, h = 18 * vg.Centimeter, 11 * vg.Centimeter
	var c vg.CanvasWriterTo
	img := vgimg.New(w, 2*h)
	c = vgimg.PngCanvas{Canvas: img}
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Centimeter / 2}
	canv := plot.Align([][]*plot.Plot{{lat}, {mem}}, tiles, dc)
	lat.Draw(canv[0][0])
	mem.Draw(canv[1][0])
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
}

func addLine(p *plot.Plot, name string, rows []row, y func(row) float64, i int, dash bool) error {
	pts := make(plotter.XYs, len(rows))
	for j, r := range rows {
		pts[j].X, pts[j].Y = float64(r.Chunks)/1000, y(r)
	}
	l, s, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	l.Color, s.Color = palette[i%len(palette)], palette[i%len(palette)]
	if dash {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	p.Add(l, s)
	p.Legend.Add(name, l, s)
	return nil
}

// read loads the rows, keeping the last result per corpus size.
func readResults(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	by := map[int]row{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		by[r.Chunks] = r
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	rows := make([]row, 0, len(by))
	for _, r := range by {
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Chunks < rows[j].Chunks })
	return rows, nil
}
