# Unbalanced panel for the R did 2.5.1 allow_unbalanced_panel=TRUE reference.
#
# The design, seed and generator below reproduce the data of diff-diff's
# benchmarks/R/generate_cs_unbalanced_golden.R (github.com/igerber/diff-diff, MIT;
# data and R output stored in benchmarks/data/cs_unbalanced_golden.json at commit
# 08b6a66338c82b5633a7a647983044e58dd7659d). That golden file holds the numbers
# R did 2.5.1 returned for
#   att_gt(yname="y", tname="period", idname="unit", gname="g", data=df,
#          control_group="nevertreated", est_method="reg",
#          allow_unbalanced_panel=TRUE, bstrap=FALSE, cband=FALSE)
# and aggte(type = "dynamic" / "simple" / "group", na.rm=TRUE, bstrap=FALSE);
# they are transcribed in did_unbalanced_rdid.json (R did is not installable here).
# 200 units, periods 1-5: cohort 3 (50 units, each row from period 4 on dropped
# with probability 0.4), cohort 4 (50), never treated (100).
#
# Run from the repo root: Rscript tests/reference/effects/did_unbalanced_data.R
# (base R only; R >= 3.6 random number generation). Writes did_unbalanced_data.csv.
set.seed(20260706)
rows <- list()
k <- 1L
add_unit <- function(u, g, drop_late) {
  ufe <- rnorm(1)
  for (t in 1:5) {
    if (drop_late && t >= 4 && runif(1) < 0.40) next
    post <- if (g != 0 && t >= g) 1 else 0
    eff <- if (g == 3 && post) 1.0 * (t - g + 1) else if (g == 4 && post) 2.0 * (t - g + 1) else 0
    rows[[k]] <<- data.frame(unit = u, period = t, g = g, y = ufe + 0.3 * t + eff + rnorm(1, 0, 0.5))
    k <<- k + 1L
  }
}
u <- 0L
for (i in 1:50) { add_unit(u, 3, TRUE); u <- u + 1L }
for (i in 1:50) { add_unit(u, 4, FALSE); u <- u + 1L }
for (i in 1:100) { add_unit(u, 0, FALSE); u <- u + 1L }
df <- do.call(rbind, rows)
df$y <- sprintf("%.17g", df$y)
write.csv(df, "tests/reference/effects/did_unbalanced_data.csv", row.names = FALSE, quote = FALSE)
cat(nrow(df), "rows written\n")
