# Reference for fusion_study.survey.small_area.branch_means (method="blup"):
# random-intercept model y ~ 1 + (1 | branch_id) and y ~ tenure + (1 | branch_id), REML, lme4::lmer.
# Run from this folder: Rscript small_area_lme4.R
# Writes small_area_data.csv (the data, hand-simulated here) and small_area_lme4.csv (the numbers;
# g3 = the Prasad-Rao term from explicit matrices and numerical derivatives).
suppressMessages(library(lme4))
set.seed(20250315)
nb <- 24
ids <- sprintf("B%02d", 1:nb)
n <- sample(10:40, nb, replace = TRUE)
n[7] <- 1L                                   # one branch with a single response
u <- rnorm(nb, 0, 4)
d <- data.frame(branch_id = rep(ids, times = n))
d$tenure <- round(runif(nrow(d), 0, 10), 1)
d$satisfaction <- round(70 + 1.5 * d$tenure + u[match(d$branch_id, ids)] + rnorm(nrow(d), 0, 12), 1)
write.csv(d, "small_area_data.csv", row.names = FALSE)

ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
one <- function(model, formula) {
  m <- lmer(formula, data = d, REML = TRUE, control = ctrl)
  X <- getME(m, "X"); Z <- as.matrix(getME(m, "Z"))
  tau2 <- as.data.frame(VarCorr(m))$vcov[1]; sigma2 <- sigma(m)^2
  re <- ranef(m, condVar = TRUE)$branch_id
  post_var <- as.numeric(attr(re, "postVar"))       # conditional variance of u_j given y (beta fixed)
  br <- rownames(re)
  xbar <- t(sapply(br, function(b) colMeans(X[d$branch_id == b, , drop = FALSE])))
  if (ncol(X) == 1) xbar <- matrix(xbar, ncol = 1)
  fixed_part <- as.numeric(xbar %*% fixef(m))
  # Henderson's mixed-model equations: C^-1 = joint covariance of (beta_hat - beta, u_hat - u),
  # an independent route to the MSE of xbar_j' beta_hat + u_hat_j (with beta estimated)
  C <- rbind(cbind(crossprod(X) / sigma2, crossprod(X, Z) / sigma2),
             cbind(crossprod(Z, X) / sigma2, crossprod(Z) / sigma2 + diag(ncol(Z)) / tau2))
  Ci <- solve(C)
  zcol <- match(br, colnames(Z))
  mse <- sapply(seq_along(br), function(j) {
    k <- c(xbar[j, ], replace(numeric(ncol(Z)), zcol[j], 1))
    as.numeric(t(k) %*% Ci %*% k)
  })
  # Prasad-Rao g3: Fisher information of (tau2, sigma2) from the explicit covariance V = sigma2 I + tau2 Z Z',
  # I_ab = tr(V^-1 V_a V^-1 V_b) / 2, and the gradient of the shrinkage factor by central differences
  V <- sigma2 * diag(nrow(d)) + tau2 * tcrossprod(Z); Vi <- solve(V)
  A <- Vi %*% tcrossprod(Z); B <- Vi
  info <- 0.5 * matrix(c(sum(A * t(A)), sum(A * t(B)), sum(A * t(B)), sum(B * t(B))), 2)
  Vinv <- solve(info)
  nj <- as.integer(table(d$branch_id)[br])
  gam <- function(t2, s2) t2 / (t2 + s2 / nj)
  h <- 1e-6 * c(tau2, sigma2)
  dt <- (gam(tau2 + h[1], sigma2) - gam(tau2 - h[1], sigma2)) / (2 * h[1])
  ds <- (gam(tau2, sigma2 + h[2]) - gam(tau2, sigma2 - h[2])) / (2 * h[2])
  g3 <- (tau2 + sigma2 / nj) * (dt^2 * Vinv[1, 1] + 2 * dt * ds * Vinv[1, 2] + ds^2 * Vinv[2, 2])
  data.frame(model = model, branch_id = br, n = as.integer(table(d$branch_id)[br]),
             fixef_intercept = fixef(m)[[1]], fixef_slope = if (ncol(X) > 1) fixef(m)[[2]] else NA,
             branch_variance = tau2, residual_variance = sigma2,
             ranef = re[, 1], fixed_part = fixed_part, blup = fixed_part + re[, 1],
             post_var = post_var, mse_henderson = mse, g3 = g3)
}
out <- rbind(one("intercept", satisfaction ~ 1 + (1 | branch_id)),
             one("tenure", satisfaction ~ tenure + (1 | branch_id)))
write.csv(out, "small_area_lme4.csv", row.names = FALSE)
writeLines(c(R.version.string, paste("lme4", packageVersion("lme4")), paste("Matrix", packageVersion("Matrix"))),
           "versions.txt")
