package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/prometheus/common/expfmt"
)

func main() {
	var parser expfmt.TextParser
	families, err := parser.TextToMetricFamilies(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	type sample struct {
		Labels map[string]string `json:"labels"`
		Value  string            `json:"value"`
	}
	type family struct {
		Help    string   `json:"help"`
		Type    string   `json:"type"`
		Samples []sample `json:"samples"`
	}
	out := map[string]family{}
	for name, f := range families {
		fam := family{Help: f.GetHelp(), Type: f.GetType().String()}
		for _, m := range f.Metric {
			labels := map[string]string{}
			for _, l := range m.Label {
				labels[l.GetName()] = l.GetValue()
			}
			v := 0.0
			if m.Gauge != nil {
				v = m.Gauge.GetValue()
			} else if m.Counter != nil {
				v = m.Counter.GetValue()
			} else if m.Untyped != nil {
				v = m.Untyped.GetValue()
			}
			fam.Samples = append(fam.Samples, sample{labels, strconv.FormatFloat(v, 'g', -1, 64)})
		}
		out[name] = fam
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
