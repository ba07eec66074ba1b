# Reference values for fusion_study.planning.power_two_means (tests/planning/test_samples.py).
# Made with: Rscript tests/reference/planning/pwr_reference.R  (R 4.x, pwr 1.3.0)
# Writes pwr_reference.json beside this script.
#
# * method "t": pwr::pwr.t.test(type = "two.sample", alternative = "two.sided").
# * method "normal": the two-sample z test with known sd is pwr::pwr.norm.test with d / sqrt(2)
#   and n = the size of each group (the z statistic is d * sqrt(n / 2)).
# pwr 1.3.0 solves for n with uniroot's default tolerance (.Machine$double.eps^0.25, about 1e-4),
# so "n" is also solved again with tol = 1e-12 on pwr's own power function ("n_tight").
library(pwr)
library(jsonlite)

power_cases <- data.frame(d = c(0.2, 0.5, 0.8, 0.35, 1.1), n = c(50, 64, 26, 130.5, 8),
                          alpha = c(0.05, 0.05, 0.01, 0.10, 0.05))
n_cases <- data.frame(d = c(0.2, 0.5, 0.8, 0.35, 1.1), power = c(0.8, 0.9, 0.8, 0.95, 0.7),
                      alpha = c(0.05, 0.05, 0.01, 0.10, 0.05))

power_t <- mapply(function(d, n, a) pwr.t.test(n = n, d = d, sig.level = a)$power,
                  power_cases$d, power_cases$n, power_cases$alpha)
power_z <- mapply(function(d, n, a) pwr.norm.test(d = d / sqrt(2), n = n, sig.level = a)$power,
                  power_cases$d, power_cases$n, power_cases$alpha)

tight <- function(f, target) uniroot(function(n) f(n) - target, c(2 + 1e-10, 1e9), tol = 1e-12)$root
n_t_default <- mapply(function(d, p, a) pwr.t.test(d = d, power = p, sig.level = a)$n,
                      n_cases$d, n_cases$power, n_cases$alpha)
n_t_tight <- mapply(function(d, p, a) tight(function(n) pwr.t.test(n = n, d = d, sig.level = a)$power, p),
                    n_cases$d, n_cases$power, n_cases$alpha)
n_z_default <- mapply(function(d, p, a) pwr.norm.test(d = d / sqrt(2), power = p, sig.level = a)$n,
                      n_cases$d, n_cases$power, n_cases$alpha)
n_z_tight <- mapply(function(d, p, a) tight(function(n) pwr.norm.test(d = d / sqrt(2), n = n, sig.level = a)$power, p),
                    n_cases$d, n_cases$power, n_cases$alpha)

out <- list(
  software = paste0("R ", getRversion(), ", pwr ", packageVersion("pwr")),
  power = list(d = power_cases$d, n = power_cases$n, alpha = power_cases$alpha, t = power_t, normal = power_z),
  n = list(d = n_cases$d, power = n_cases$power, alpha = n_cases$alpha,
           t_default = n_t_default, t_tight = n_t_tight, normal_default = n_z_default, normal_tight = n_z_tight)
)
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
write_json(out, file.path(here, "pwr_reference.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
