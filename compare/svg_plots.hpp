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

// Counts of `values` in `bins` equal bins over [min, max].
std::string svg_histogram(const std::vector<double>& values, int bins, const std::string& title,
                          const std::string& x_label);

// A rows x cols grid of non-negative cell values (row-major), coloured from 0 to the largest value,
// with a colour legend. Row 0 is at the top.
std::string svg_heatmap(const std::vector<double>& cells, size_t rows, size_t cols, const std::string& title,
                        const std::string& x_label, const std::string& y_label, const std::string& value_label);

// Text for HTML and SVG: & < > " ' escaped.
std::string html_escape(const std::string& s);

}  // namespace attncheck
