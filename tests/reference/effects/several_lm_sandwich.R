# Reference numbers for fusion_study.effects.several_interventions on several_data.csv
# (two staggered interventions a, b; repeated cross-section of respondents in branches).
#
# Step 1: lm(y ~ factor(branch) + factor(period) [+ x]) on the rows exposed to no intervention.
# Step 2: tau = y - predict(step 1) on the exposed rows.
# Step 3: lm(tau ~ 0 + event-time indicators of a and b) over the exposed rows, event times
#         pooled at max_event = 1 (bins e = 0 and e >= 1).
# Standard errors: the two steps as stacked estimating equations
#   psi1 = W_U' (y_U - W_U theta),  psi2 = Z' (tau - Z beta),
# clustered by branch with sandwich::meatCL (type "HC0", cadjust = TRUE: G/(G-1)), and
# V = A^-1 M A^-T with A = [[W_U'W_U, 0], [Z'W_T, Z'Z]] (sandwich::sandwich() assumes a
# symmetric bread, so the product is formed here).
# Run from the repo root: Rscript tests/reference/effects/several_lm_sandwich.R
suppressPackageStartupMessages({library(sandwich); library(jsonlite)})
here <- "tests/reference/effects"
d <- read.csv(file.path(here, "several_data.csv"), stringsAsFactors = FALSE)
d$branch <- factor(d$branch)
d$period_f <- factor(d$period)
on_a <- d$cohort_a > 0 & d$period >= d$cohort_a
on_b <- d$cohort_b > 0 & d$period >= d$cohort_b
exposed <- on_a | on_b
e_a <- pmin(d$period - d$cohort_a, 1)
e_b <- pmin(d$period - d$cohort_b, 1)
Zall <- cbind(a_0 = on_a & e_a == 0, a_1 = on_a & e_a == 1, b_0 = on_b & e_b == 0, b_1 = on_b & e_b == 1) * 1

estfun.stacked <- function(x, ...) x$psi

one_case <- function(formula) {
  m1 <- lm(formula, data = d[!exposed, ])
  W <- model.matrix(formula, data = d)       # same columns (all branches and periods have untreated rows)
  stopifnot(identical(colnames(W), names(coef(m1))))
  tau <- d$y[exposed] - predict(m1, newdata = d[exposed, ])
  Z <- Zall[exposed, ]
  m3 <- lm(tau ~ 0 + Z)
  beta <- coef(m3)
  names(beta) <- colnames(Z)
  WU <- W[!exposed, ]; WT <- W[exposed, ]
  p <- ncol(W); q <- ncol(Z)
  psi <- matrix(0, nrow(d), p + q)
  psi[!exposed, 1:p] <- WU * residuals(m1)
  psi[exposed, p + (1:q)] <- Z * residuals(m3)
  obj <- structure(list(psi = psi), class = "stacked")
  M <- meatCL(obj, cluster = d$branch, type = "HC0", cadjust = TRUE) * nrow(d)
  A <- rbind(cbind(crossprod(WU), matrix(0, p, q)), cbind(crossprod(Z, WT), crossprod(Z)))
  Ai <- solve(A)
  V <- (Ai %*% M %*% t(Ai))[p + (1:q), p + (1:q)]
  G <- nlevels(d$branch)
  overall <- list()
  for (k in c("a", "b")) {
    cols <- paste0(k, c("_0", "_1"))
    w <- colSums(Z)[cols] / sum(colSums(Z)[cols])
    c <- setNames(rep(0, q), colnames(Z)); c[cols] <- w
    est <- sum(c * beta); se <- sqrt(drop(t(c) %*% V %*% c))
    overall[[k]] <- list(estimate = est, se = se,
                         ci_lower = est - qt(0.975, G - 1) * se, ci_upper = est + qt(0.975, G - 1) * se,
                         p_value = 2 * pt(-abs(est / se), G - 1))
  }
  list(step1_coef = as.list(coef(m1)), tau_sum = sum(tau),
       coef = as.list(beta), se = as.list(setNames(sqrt(diag(V)), colnames(Z))),
       vcov = unname(V), overall = overall, n_clusters = G)
}

out <- list(R_version = R.version.string, sandwich_version = as.character(packageVersion("sandwich")),
            max_event = 1,
            cases = list(no_covariates = one_case(y ~ branch + period_f),
                         covariate_x = one_case(y ~ branch + period_f + x)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(here, "several_lm_sandwich.json"))
