// Plots as inline SVG for the validation report: no JavaScript, no fonts or files from elsewhere.
#pragma once
#include <string>
#include <vector>

namespace attncheck {

// Each returns one <svg class="plot" data-plot=KIND width=.. height=..> element with a <title>,
// axes and labels. Sizes are explicit attributes, so the plot has its size without any CSS.

// Points (x[i], y[i]) with the y = x diagonal; more than `max_points` are thinned by a fixed stride
// (deterministic), and the caption says so.
std::string svg_scatter(const std::vector<double>& x, const std::vector<double>& y, const std::string& title,
                        const std::string& x_label, const std::string& y_label, size_t max_points = 2500);

// Counts of `values` in about `bins` equal bins over a "nice" range holding [min, max] (bin
// edges on the axis ticks' grid). log_y: the count axis is logarithmic (1, 10, 100, ...), so the
// tails of an error distribution stay visible beside its peak; empty bins stay empty.
std::string svg_histogram(const std::vector<double>& values, int bins, const std::string& title,
                          const std::string& x_label, bool log_y = false);

// Axis ticks the way plotting libraries choose them: about `target` values at a step of 1, 2 or
// 5 times a power of ten, from the first multiple of the step at or below `lo` to the first at or
// above `hi` (so the axis ends on ticks). Never empty; lo == hi gets a unit range around it.
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

// A rows x cols grid of non-negative cell values (row-major), coloured from 0 to the largest value,
// with a colour legend. Row 0 is at the top.
std::string svg_heatmap(const std::vector<double>& cells, size_t rows, size_t cols, const std::string& title,
                        const std::string& x_label, const std::string& y_label, const std::string& value_label);

// Text for HTML and SVG: & < > " ' escaped.
std::string html_escape(const std::string& s);

}  // namespace attncheck
