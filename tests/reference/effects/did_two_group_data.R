# Two-group panel for the R did 2.5.1 reference in did_golden_rdid.json ("two_group").
#
# The design, seed and generator below reproduce, in base R, the data of scenario 8
# ("two_group") of diff-diff's benchmarks/R/generate_csdid_test_values.R
# (github.com/igerber/diff-diff, MIT), whose output benchmarks/data/csdid_golden_values.json
# (commit 5ad916ee8e8907bba6bc42a89f223e09c4525dfb) stores both these data (10 significant
# digits; the regenerated values agree with every stored one) and the numbers R did 2.5.1
# (R 4.5.2, DRDID 1.3.0) returned for
#   att_gt(yname="y", idname="id", gname="g", tname="t", data=long, panel=TRUE,
#          control_group=<"nevertreated"|"notyettreated">, xformla=~1,
#          est_method="reg", base_period=<"varying"|"universal">,
#          bstrap=FALSE, cband=FALSE)
# (R did is not installable here, so they are transcribed in did_golden_rdid.json.)
# 500 units, periods 1-4, cohort 3 with probability plogis(0.5), otherwise never treated;
# heterogeneous effects att_i ~ N(3, 1) in period 3 and 1.5 * att_i in period 4.
#
# Run from the repo root: Rscript tests/reference/effects/did_two_group_data.R
# (base R only; R >= 3.6 random number generation). Writes did_two_group_data.csv.
set.seed(20241017)
n <- 500
p3_true <- exp(0.5) / (1 + exp(0.5))
g <- as.numeric(runif(n) <= p3_true)
g <- ifelse(g == 1, 3, 0)
nu <- rnorm(n, mean = g, sd = 1)
att_rand <- rnorm(n, mean = 3, sd = 1)
Yt1_inf <- 1 + nu + rnorm(n)
Yt2_inf <- 2 + nu + rnorm(n)
Yt3_inf <- 3 + nu + rnorm(n)
Yt4_inf <- 4 + nu + rnorm(n)
Yt1_g3 <- 1 + nu + rnorm(n)
Yt2_g3 <- 2 + nu + rnorm(n)
Yt3_g3 <- att_rand + 3 + nu + rnorm(n)
Yt4_g3 <- 1.5 * att_rand + 4 + nu + rnorm(n)
y1 <- (g == 3) * Yt1_g3 + (g == 0) * Yt1_inf
y2 <- (g == 3) * Yt2_g3 + (g == 0) * Yt2_inf
y3 <- (g == 3) * Yt3_g3 + (g == 0) * Yt3_inf
y4 <- (g == 3) * Yt4_g3 + (g == 0) * Yt4_inf
# long format, unit by unit, periods 1-4 (tidyr::pivot_longer order in the original)
long <- data.frame(id = rep(1:n, each = 4), t = rep(1:4, times = n), g = rep(g, each = 4),
                   y = as.vector(rbind(y1, y2, y3, y4)))
long$y <- sprintf("%.17g", long$y)
write.csv(long, "tests/reference/effects/did_two_group_data.csv", row.names = FALSE, quote = FALSE)
cat(nrow(long), "rows written\n")
