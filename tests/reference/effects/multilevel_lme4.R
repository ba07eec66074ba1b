# Reference values for fusion_study.effects.multilevel / cluster_ols.
# Run from this folder: Rscript multilevel_lme4.R   (R lme4, sandwich from Debian)
suppressMessages({library(lme4); library(sandwich); library(jsonlite)})
d <- read.csv("multilevel_data.csv")
out <- list(versions = list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                            sandwich = as.character(packageVersion("sandwich"))))
fe <- function(m) { s <- summary(m)$coefficients; list(term = rownames(s), estimate = unname(s[, 1]), se = unname(s[, 2])) }
m1 <- lmer(satisfaction ~ visits + rural + (1 | branch), data = d, REML = TRUE)
vc1 <- as.data.frame(VarCorr(m1))
out$intercept <- list(fixed = fe(m1), var_branch = vc1$vcov[1], var_resid = vc1$vcov[2], loglik = as.numeric(logLik(m1)))
m2 <- lmer(satisfaction ~ visits + rural + (1 + visits | branch), data = d, REML = TRUE)
vc2 <- as.data.frame(VarCorr(m2))
out$slope <- list(fixed = fe(m2), var_intercept = vc2$vcov[1], var_visits = vc2$vcov[2],
                  cov_intercept_visits = vc2$vcov[3], var_resid = vc2$vcov[4], loglik = as.numeric(logLik(m2)))
m0 <- lmer(satisfaction ~ 1 + (1 | branch), data = d, REML = TRUE)
vc0 <- as.data.frame(VarCorr(m0))
out$null <- list(var_branch = vc0$vcov[1], var_resid = vc0$vcov[2], icc = vc0$vcov[1] / sum(vc0$vcov))
ols <- lm(satisfaction ~ visits + rural, data = d)
V <- vcovCL(ols, cluster = ~branch, type = "HC1")
out$cluster_ols <- list(term = names(coef(ols)), estimate = unname(coef(ols)), se = unname(sqrt(diag(V))))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "multilevel_lme4.json")
