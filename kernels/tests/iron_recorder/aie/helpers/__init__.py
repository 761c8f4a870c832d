# Stand-in for aie.helpers: only taplib, which IRON's Runtime.fill/drain take access patterns from.
