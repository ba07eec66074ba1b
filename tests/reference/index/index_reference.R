# Reference values for fusion_study.index, computed with base R only (formulas written
# from the published definitions, not from any package's source).
# Run: Rscript tests/reference/index/index_reference.R  (writes index_reference.json beside it)
library(jsonlite)
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("--file=", "", args[grep("--file=", args)])))

# A 10-unit x 5-indicator table (complaints is cost-type; trust has a zero after min-max).
X <- data.frame(
  sales       = c(120, 95, 143, 88, 132, 101, 110, 150, 97, 125),
  revenue     = c(3.2, 2.1, 4.8, 1.9, 3.9, 2.8, 2.5, 4.1, 2.2, 3.0),
  complaints  = c(12, 20, 7, 25, 9, 15, 18, 6, 22, 11),
  party_score = c(85, 78, 92, 70, 88, 80, 83, 95, 72, 86),
  trust       = c(4.1, 3.6, 4.5, 3.2, 4.4, 3.9, 3.7, 4.6, 3.4, 4.0)
)
cost <- c(FALSE, FALSE, TRUE, FALSE, FALSE)

minmax <- function(x, is_cost) {
  z <- (x - min(x)) / (max(x) - min(x))
  if (is_cost) 1 - z else z
}
Z <- as.data.frame(mapply(minmax, X, cost))

entropy_w <- function(Z) {
  n <- nrow(Z)
  e <- sapply(Z, function(z) {
    p <- z / sum(z)
    -sum(ifelse(p > 0, p * log(p), 0)) / log(n)
  })
  d <- 1 - e
  d / sum(d)
}
entropy_shift_w <- function(Z, shift) entropy_w(as.data.frame(lapply(Z, function(z) z + shift)))

critic_w <- function(Z) {
  s <- sapply(Z, sd)
  R <- cor(Z)
  C <- s * colSums(1 - R)
  C / sum(C)
}

cv_w <- function(X) {
  v <- sapply(X, function(x) sd(x) / abs(mean(x)))
  v / sum(v)
}

topsis_c <- function(X, w, is_cost) {
  R <- sweep(as.matrix(X), 2, sqrt(colSums(as.matrix(X)^2)), "/")
  V <- sweep(R, 2, w, "*")
  best <- ifelse(is_cost, apply(V, 2, min), apply(V, 2, max))
  worst <- ifelse(is_cost, apply(V, 2, max), apply(V, 2, min))
  dp <- sqrt(rowSums(sweep(V, 2, best)^2))
  dm <- sqrt(rowSums(sweep(V, 2, worst)^2))
  dm / (dp + dm)
}

# PCA weights: Kaiser-retained components of the correlation matrix, |eigenvector| weighted by
# the retained variance shares (sign-free), normalised to sum one.
pca_w <- function(Z) {
  e <- eigen(cor(Z), symmetric = TRUE)
  keep <- e$values >= 1
  keep[1] <- TRUE
  share <- e$values[keep] / sum(e$values[keep])
  w <- abs(e$vectors[, keep, drop = FALSE]) %*% share
  as.vector(w / sum(w))
}

# AHP: principal eigenvector of a 4x4 judgement matrix
A <- matrix(c(1, 3, 5, 7,
              1/3, 1, 3, 5,
              1/5, 1/3, 1, 3,
              1/7, 1/5, 1/3, 1), 4, byrow = TRUE)
ev <- eigen(A)
k <- which.max(Re(ev$values))
w_ahp <- abs(Re(ev$vectors[, k])); w_ahp <- w_ahp / sum(w_ahp)
lmax <- Re(ev$values[k])
ci <- (lmax - 4) / 3
cr <- ci / 0.90

w_ent <- entropy_w(Z)
out <- list(
  data = X,
  cost = cost,
  minmax = Z,
  entropy = unname(w_ent),
  entropy_shift_1e4 = unname(entropy_shift_w(Z, 1e-4)),
  entropy_raw = unname(entropy_w(X[, c("sales", "revenue", "party_score", "trust")])),
  critic = unname(critic_w(Z)),
  cv_raw = unname(cv_w(X)),
  pca = pca_w(Z),
  topsis_raw_entropy = unname(topsis_c(X, w_ent, cost)),
  topsis_raw_equal = unname(topsis_c(X, rep(0.2, 5), cost)),
  ahp_matrix = A,
  ahp_weights = w_ahp,
  ahp_lambda_max = lmax,
  ahp_ci = ci,
  ahp_cr = cr,
  r_version = R.version.string
)
writeLines(toJSON(out, digits = NA, pretty = TRUE, dataframe = "columns"), file.path(here, "index_reference.json"))
