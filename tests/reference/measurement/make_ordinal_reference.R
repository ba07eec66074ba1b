# Reference numbers for tests/test_measurement_ordinal.py (ordinal CFA: polychorics + WLSMV).
# Run from this directory:  Rscript make_ordinal_reference.R
# R packages (Debian): r-cran-lavaan, r-cran-jsonlite.
# Inputs: example_customer_items.csv (the simulated example study's raw customer answers, written for
# make_reference.R) and hs1939.csv; writes hs1939_ordinal.csv and ordinal_reference.json.
suppressPackageStartupMessages({ library(lavaan); library(jsonlite) })

tidy_ordinal <- function(fit, keep_gamma = FALSE) {
  pe <- parameterEstimates(fit, standardized = TRUE)
  ss <- lavInspect(fit, "sampstat")
  fm <- fitMeasures(fit)
  list(params = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se,
                     std_all = pe$std.all),
       polychoric = unclass(ss$cov), thresholds = as.list(ss$th),
       threshold_names = names(ss$th),
       gamma = if (keep_gamma) unclass(lavInspect(fit, "gamma")) else NULL,
       nobs = lavInspect(fit, "nobs"),
       fit = as.list(fm[!is.na(fm)]))
}

out <- list(versions = list(lavaan = as.character(packageVersion("lavaan"))))

# ---- (a) the simulated example study's customer survey, reverse-keyed items reversed ----
ex <- read.csv("example_customer_items.csv")
ex$qual4 <- 8 - ex$qual4
ex$dep3 <- 6 - ex$dep3
ex_model <- ' expectation =~ exp1 + exp2 + exp3
              quality =~ qual1 + qual2 + qual3 + qual4
              image =~ img1 + img2 + img3
              satisfaction =~ sat1 + sat2 + sat3
              dependency =~ dep1 + dep2 + dep3 '
out$example <- tidy_ordinal(cfa(ex_model, data = ex, ordered = TRUE))
out$example_stdlv <- tidy_ordinal(cfa(ex_model, data = ex, ordered = TRUE, std.lv = TRUE))

# ---- (b) HolzingerSwineford1939 x1..x9 cut at sample quantiles into 4 or 5 ordered categories ----
hs <- read.csv("hs1939.csv")
cut_q <- function(x, probs) as.integer(cut(x, unique(quantile(x, probs, type = 7)), include.lowest = TRUE))
hso <- data.frame(
  x1 = cut_q(hs$x1, c(0, .15, .45, .8, 1)), x2 = cut_q(hs$x2, c(0, .1, .35, .7, .9, 1)),
  x3 = cut_q(hs$x3, c(0, .25, .5, .75, 1)), x4 = cut_q(hs$x4, c(0, .2, .5, .8, 1)),
  x5 = cut_q(hs$x5, c(0, .1, .3, .6, .85, 1)), x6 = cut_q(hs$x6, c(0, .3, .6, .9, 1)),
  x7 = cut_q(hs$x7, c(0, .2, .4, .6, .8, 1)), x8 = cut_q(hs$x8, c(0, .25, .5, .75, 1)),
  x9 = cut_q(hs$x9, c(0, .35, .65, 1)))
write.csv(hso, "hs1939_ordinal.csv", row.names = FALSE)
hs_model <- ' visual =~ x1 + x2 + x3
              textual =~ x4 + x5 + x6
              speed =~ x7 + x8 + x9 '
out$hs <- tidy_ordinal(cfa(hs_model, data = hso, ordered = TRUE), keep_gamma = TRUE)
# two-factor misspecified model: a clearly positive chi-square for the scaled-shifted statistics
hs_model2 <- ' visual =~ x1 + x2 + x3 + x7 + x8 + x9
               textual =~ x4 + x5 + x6 '
out$hs_misfit <- tidy_ordinal(cfa(hs_model2, data = hso, ordered = TRUE))

# structural model with a residual covariance (sem(): regressions among factors)
hs_sem <- ' visual =~ x1 + x2 + x3
            textual =~ x4 + x5 + x6
            speed =~ x7 + x8 + x9
            speed ~ visual + textual
            x7 ~~ x8 '
out$hs_sem <- tidy_ordinal(sem(hs_sem, data = hso, ordered = TRUE))

# missing answers, pairwise (lavaan's option for ordered data): NAs at fixed rows
hsm <- hso
hsm$x2[seq(1, 301, by = 7)] <- NA
hsm$x5[seq(3, 301, by = 11)] <- NA
hsm$x9[seq(5, 301, by = 13)] <- NA
out$hs_pairwise <- tidy_ordinal(cfa(hs_model, data = hsm, ordered = TRUE, missing = "pairwise"), keep_gamma = TRUE)
out$hs_listwise <- tidy_ordinal(cfa(hs_model, data = hsm, ordered = TRUE))

# 2 x 2 tables with an empty cell (lavaan adds 0.5 to it, keeping the margins)
zc <- data.frame(a = c(rep(1, 30), rep(2, 30), rep(1, 10)), b = c(rep(1, 30), rep(2, 30), rep(2, 10)))
zc3 <- data.frame(a = c(rep(1, 30), rep(2, 30), rep(1, 10), rep(2, 5)),
                  b = c(rep(1, 30), rep(2, 30), rep(2, 10), rep(1, 5)),
                  c = c(rep(1, 20), rep(2, 20), rep(3, 35)))
out$zero_cell <- list(rho_ab = lavCor(zc, ordered = c("a", "b"))[1, 2],
                      cor3 = unclass(lavCor(zc3, ordered = c("a", "b", "c"))))

write_json(out, "ordinal_reference.json", digits = NA, auto_unbox = TRUE, matrix = "rowmajor", pretty = FALSE)
cat("ok ordinal\n")
