# Reference numbers for tests/test_measurement_*.py.
# Run from this directory:  Rscript make_reference.R
# R packages (Debian): r-cran-lavaan, r-cran-psych, r-cran-semtools, r-cran-gparotation, r-cran-jsonlite.
suppressPackageStartupMessages({
  library(lavaan); library(psych); library(semTools); library(GPArotation); library(jsonlite)
})
out <- list(versions = list(lavaan = as.character(packageVersion("lavaan")),
                            psych = as.character(packageVersion("psych")),
                            semTools = as.character(packageVersion("semTools")),
                            GPArotation = as.character(packageVersion("GPArotation"))))
hs <- HolzingerSwineford1939
write.csv(hs, "hs1939.csv", row.names = FALSE)
pd <- PoliticalDemocracy
write.csv(pd, "political_democracy.csv", row.names = FALSE)
X <- hs[, paste0("x", 1:9)]
scales <- list(visual = c("x1","x2","x3"), textual = c("x4","x5","x6"), speed = c("x7","x8","x9"))

# ---- reliability (psych::alpha) ----
rel <- list()
for (s in names(scales)) {
  a <- psych::alpha(X[, scales[[s]]], warnings = FALSE)
  R <- cor(X[, scales[[s]]])
  f1 <- fa(R, nfactors = 1, fm = "minres", n.obs = nrow(X))
  lam <- as.numeric(f1$loadings); psi <- 1 - lam^2
  rel[[s]] <- list(alpha = a$total$raw_alpha, alpha_std = a$total$std.alpha,
                   mean_r = a$total$average_r,
                   r_drop = unname(a$item.stats$r.drop),
                   alpha_if_deleted = unname(a$alpha.drop$raw_alpha),
                   omega_total = sum(lam)^2 / (sum(lam)^2 + sum(psi)), lambda1 = lam)
}
# all nine items as one scale too (more items)
a9 <- psych::alpha(X, warnings = FALSE)
rel[["all9"]] <- list(alpha = a9$total$raw_alpha, alpha_std = a9$total$std.alpha,
                      mean_r = a9$total$average_r, r_drop = unname(a9$item.stats$r.drop),
                      alpha_if_deleted = unname(a9$alpha.drop$raw_alpha))
out$reliability <- rel

# ---- KMO / Bartlett ----
k <- KMO(X); b <- cortest.bartlett(cor(X), n = nrow(X))
out$kmo <- list(overall = k$MSA, msa = unname(k$MSAi), chisq = b$chisq, df = b$df, p = b$p.value)

# ---- EFA ----
R <- cor(X)
efa <- list()
for (fm in c("minres", "ml", "pa")) {
  for (rot in c("none", "varimax", "oblimin", "promax")) {
    f <- fa(R, nfactors = 3, fm = fm, rotate = rot, n.obs = nrow(X), max.iter = 1000, min.err = 1e-12)
    key <- paste(fm, rot, sep = "_")
    efa[[key]] <- list(loadings = unclass(f$loadings), communality = unname(f$communality),
                       phi = if (is.null(f$Phi)) diag(3) else f$Phi,
                       Vaccounted = f$Vaccounted)
  }
}
out$efa <- efa
# unrotated minres loadings rotated by GPArotation with tight tolerance (rotation-only check)
L0 <- unclass(fa(R, nfactors = 3, fm = "minres", rotate = "none", n.obs = nrow(X))$loadings)
ob <- GPArotation::oblimin(L0, eps = 1e-8, maxit = 20000)
vm <- stats::varimax(L0, eps = 1e-14)
pm <- stats::promax(L0, m = 4)
out$rotation <- list(L0 = L0, oblimin_loadings = unclass(ob$loadings), oblimin_phi = ob$Phi,
                     varimax_loadings = unclass(vm$loadings), promax_loadings = unclass(pm$loadings),
                     promax_rotmat = pm$rotmat)
# Harman single factor: share of variance of first unrotated factor (principal components and minres 1-factor)
ev <- eigen(R)$values
out$harman <- list(pca_share = ev[1] / 9, eigen = ev)

# ---- CFA on HS1939 ----
hs_model <- ' visual =~ x1 + x2 + x3
              textual =~ x4 + x5 + x6
              speed =~ x7 + x8 + x9 '
tidy_fit <- function(fit) {
  pe <- parameterEstimates(fit, standardized = TRUE)
  fm <- fitMeasures(fit, c("chisq","df","pvalue","cfi","tli","rmsea","rmsea.ci.lower","rmsea.ci.upper",
                          "rmsea.pvalue","srmr","aic","bic","logl","unrestricted.logl","npar",
                          "baseline.chisq","baseline.df"))
  list(pe = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se,
                       std_all = pe$std.all, stringsAsFactors = FALSE),
       fit = as.list(fm))
}
ctl <- list()  # lavaan defaults (nlminb rel.tol 1e-10)
fit <- cfa(hs_model, data = hs, control = ctl)
out$cfa_hs <- tidy_fit(fit)
fitm <- cfa(hs_model, data = hs, control = ctl, meanstructure = TRUE)
out$cfa_hs_mean <- tidy_fit(fitm)
out$cfa_hs_std_lv <- tidy_fit(cfa(hs_model, data = hs, control = ctl, std.lv = TRUE))
# one-factor alternative
out$cfa_hs_one <- tidy_fit(cfa(' g =~ x1+x2+x3+x4+x5+x6+x7+x8+x9 ', data = hs, control = ctl))
# HTMT
out$htmt <- unclass(semTools::htmt(hs_model, data = hs, htmt2 = FALSE))
out$htmt2 <- unclass(semTools::htmt(hs_model, data = hs, htmt2 = TRUE))
# reliability / AVE from semTools (compRelSEM, AVE)
out$cr <- as.list(semTools::compRelSEM(fit))
out$ave <- as.list(semTools::AVE(fit))
# MLR
fit_mlr <- cfa(hs_model, data = hs, control = ctl, estimator = "MLR")
out$cfa_hs_mlr <- tidy_fit(fit_mlr)
out$cfa_hs_mlr_scaled <- as.list(fitMeasures(fit_mlr, c("chisq.scaled", "chisq.scaling.factor", "pvalue.scaled")))

# ---- FIML: delete values deterministically ----
set.seed(20240101)
hsm <- hs
for (v in paste0("x", 1:9)) hsm[[v]][sample(nrow(hs), 30)] <- NA
hsm <- hsm[!apply(is.na(hsm[, paste0("x", 1:9)]), 1, all), ]
write.csv(hsm[, c("id", paste0("x", 1:9), "school")], "hs1939_missing.csv", row.names = FALSE, na = "")
out$cfa_hs_fiml <- tidy_fit(cfa(hs_model, data = hsm, control = ctl, missing = "fiml"))
out$cfa_hs_listwise <- tidy_fit(cfa(hs_model, data = hsm, control = ctl))

# ---- SEM: PoliticalDemocracy ----
pd_model <- '
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + a*y2 + b*y3 + c*y4
  dem65 =~ y5 + a*y6 + b*y7 + c*y8
  dem60 ~ ind60
  dem65 ~ ind60 + dem60
  y1 ~~ y5
  y2 ~~ y4 + y6
  y3 ~~ y7
  y4 ~~ y8
  y6 ~~ y8 '
out$sem_pd <- tidy_fit(sem(pd_model, data = pd, control = ctl))

# ---- measurement invariance by school ----
inv <- list()
for (lev in c("configural", "metric", "scalar")) {
  ge <- switch(lev, configural = "", metric = "loadings", scalar = c("loadings", "intercepts"))
  f <- if (lev == "configural") cfa(hs_model, data = hs, control = ctl, group = "school") else
    cfa(hs_model, data = hs, control = ctl, group = "school", group.equal = ge)
  inv[[lev]] <- as.list(fitMeasures(f, c("chisq","df","pvalue","cfi","tli","rmsea","srmr","aic","bic")))
}
out$invariance <- inv

write_json(out, "reference.json", digits = NA, auto_unbox = TRUE, matrix = "rowmajor", pretty = FALSE)
cat("ok\n")

# ---- the simulated example study's customer survey (raw answers; qual4 and dep3 reverse-keyed) ----
ex <- read.csv("example_customer_items.csv")
ex$qual4 <- 8 - ex$qual4
ex$dep3 <- 6 - ex$dep3
ex_model <- ' expectation =~ exp1 + exp2 + exp3
              quality =~ qual1 + qual2 + qual3 + qual4
              image =~ img1 + img2 + img3
              satisfaction =~ sat1 + sat2 + sat3
              dependency =~ dep1 + dep2 + dep3 '
ex_out <- list(cfa = tidy_fit(cfa(ex_model, data = ex)),
               fiml = tidy_fit(cfa(ex_model, data = ex, missing = "fiml")))
write_json(ex_out, "reference_example.json", digits = NA, auto_unbox = TRUE, pretty = FALSE)
cat("ok example\n")
