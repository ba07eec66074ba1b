# Independent base-R implementation of Callaway & Sant'Anna (2021) group-time
# ATTs for repeated cross-sections and unbalanced panels, with the 2x2 DiD
# estimators of Sant'Anna & Zhao (2020, J. Econometrics 219(1)) for repeated
# cross-sections:
#   dr  - the locally efficient doubly robust estimator (Section 3.1-3.2: logit
#         propensity score by ML, four OLS outcome regressions: comparison and
#         treated, pre and post);
#   ipw - the normalised (Hajek) IPW estimator;
#   reg - the outcome-regression estimator (OLS among comparison units, pre
#         and post, averaged over all treated observations).
# Written from the published formulas only (no code of the did/DRDID packages
# was read). The influence function is NOT hand-coded: each estimator is
# written as a stack of estimating equations (logit score, OLS normal
# equations, Hajek means), and the influence function of the ATT is the
# standard M-estimation linearisation -A^{-1} g_i(theta_hat), with the
# Jacobian A of the mean estimating equations taken by central differences.
# Aggregations of Callaway & Sant'Anna (2021): simple, dynamic (event time),
# group (cohort) and calendar, with cohort-share weights whose estimation
# effect (delta method) enters the influence function.
# Observations: rows for repeated cross-sections; for an unbalanced panel the
# row-level influence functions are summed within unit (n = units) and the
# cohort shares are unit shares.
#
# Run from the repo root (after make_rc_designs.py): Rscript tests/reference/effects/drdid_rc_base.R
# Needs only base R + jsonlite. Writes drdid_rc_base.json beside this script.

suppressPackageStartupMessages(library(jsonlite))

here <- "tests/reference/effects"
mp <- read.csv(file.path(here, "mpdta.csv"))  # R did's mpdta (see mpdta.README.md)
designs <- fromJSON(file.path(here, "rc_designs.json"))$designs

# ---------------------------------------------------------------- 2x2 estimators
# Each builder returns list(theta = estimates, g = function(theta) -> n x p
# matrix of estimating functions, att = function(theta), grad = d att/d theta).
logit_fit <- function(D, X) {
  fit <- glm.fit(X, D, family = binomial(), control = glm.control(epsilon = 1e-14, maxit = 200))
  if (!fit$converged) stop("logit did not converge")
  fit$coefficients
}
ols_fit <- function(y, X, sel) {
  qr.solve(X[sel, , drop = FALSE], y[sel])
}
expit <- function(z) 1 / (1 + exp(-z))

build_dr <- function(y, post, D, X) {
  k <- ncol(X)
  c0 <- (1 - D) * (1 - post); c1 <- (1 - D) * post; t0 <- D * (1 - post); t1 <- D * post
  idx <- list(g = 1:k, bc0 = k + 1:k, bc1 = 2 * k + 1:k, bt0 = 3 * k + 1:k, bt1 = 4 * k + 1:k, m = 5 * k + 1:8)
  pieces <- function(th) {
    p <- expit(drop(X %*% th[idx$g]))
    mc0 <- drop(X %*% th[idx$bc0]); mc1 <- drop(X %*% th[idx$bc1])
    mt0 <- drop(X %*% th[idx$bt0]); mt1 <- drop(X %*% th[idx$bt1])
    odds <- p / (1 - p)
    mu0y <- post * mc1 + (1 - post) * mc0  # comparison regression at own period
    # Hajek means: (weight, value)
    om <- cbind(t1, t0, odds * c1, odds * c0, D, t1, D, t0)
    v <- cbind(y - mu0y, y - mu0y, y - mu0y, y - mu0y, mt1 - mc1, mt1 - mc1, mt0 - mc0, mt0 - mc0)
    list(p = p, mc0 = mc0, mc1 = mc1, mt0 = mt0, mt1 = mt1, om = om, v = v)
  }
  gfun <- function(th) {
    P <- pieces(th)
    m <- th[idx$m]
    cbind((D - P$p) * X,
          c0 * (y - P$mc0) * X, c1 * (y - P$mc1) * X,
          t0 * (y - P$mt0) * X, t1 * (y - P$mt1) * X,
          P$om * (P$v - matrix(m, nrow(X), 8, byrow = TRUE)))
  }
  th <- numeric(5 * k + 8)
  th[idx$g] <- logit_fit(D, X)
  th[idx$bc0] <- ols_fit(y, X, c0 == 1); th[idx$bc1] <- ols_fit(y, X, c1 == 1)
  th[idx$bt0] <- ols_fit(y, X, t0 == 1); th[idx$bt1] <- ols_fit(y, X, t1 == 1)
  P <- pieces(th)
  th[idx$m] <- colSums(P$om * P$v) / colSums(P$om)
  grad <- numeric(length(th)); grad[idx$m] <- c(1, -1, -1, 1, 1, -1, -1, 1)
  list(theta = th, g = gfun, grad = grad)
}

build_ipw <- function(y, post, D, X) {
  k <- ncol(X)
  om_fun <- function(th) {
    p <- expit(drop(X %*% th[1:k])); odds <- p / (1 - p)
    cbind(D * post, D * (1 - post), odds * (1 - D) * post, odds * (1 - D) * (1 - post))
  }
  gfun <- function(th) {
    p <- expit(drop(X %*% th[1:k]))
    om <- om_fun(th)
    cbind((D - p) * X, om * (y - matrix(th[k + 1:4], nrow(X), 4, byrow = TRUE)))
  }
  th <- numeric(k + 4)
  th[1:k] <- logit_fit(D, X)
  om <- om_fun(th)
  th[k + 1:4] <- colSums(om * y) / colSums(om)
  grad <- numeric(k + 4); grad[k + 1:4] <- c(1, -1, -1, 1)
  list(theta = th, g = gfun, grad = grad)
}

build_reg <- function(y, post, D, X) {
  k <- ncol(X)
  c0 <- (1 - D) * (1 - post); c1 <- (1 - D) * post
  gfun <- function(th) {
    mc0 <- drop(X %*% th[1:k]); mc1 <- drop(X %*% th[k + 1:k])
    m <- th[2 * k + 1:3]
    cbind(c0 * (y - mc0) * X, c1 * (y - mc1) * X,
          D * post * (y - m[1]), D * (1 - post) * (y - m[2]), D * (mc1 - mc0 - m[3]))
  }
  th <- numeric(2 * k + 3)
  th[1:k] <- ols_fit(y, X, c0 == 1); th[k + 1:k] <- ols_fit(y, X, c1 == 1)
  mc0 <- drop(X %*% th[1:k]); mc1 <- drop(X %*% th[k + 1:k])
  th[2 * k + 1:3] <- c(sum(D * post * y) / sum(D * post), sum(D * (1 - post) * y) / sum(D * (1 - post)),
                       sum(D * (mc1 - mc0)) / sum(D))
  grad <- numeric(2 * k + 3); grad[2 * k + 1:3] <- c(1, -1, -1)
  list(theta = th, g = gfun, grad = grad)
}

# ATT and its influence function (mean scale: att_hat - att ~ mean(psi))
did_2x2 <- function(y, post, D, X, method) {
  b <- switch(method, dr = build_dr, ipw = build_ipw, reg = build_reg)(y, post, D, X)
  th <- b$theta
  G <- b$g(th)
  if (max(abs(colMeans(G))) > 1e-8) stop("estimating equations not solved")
  p <- length(th)
  A <- matrix(0, p, p)
  for (j in seq_len(p)) {
    h <- 1e-6 * max(1, abs(th[j]))
    tp <- th; tp[j] <- tp[j] + h
    tm <- th; tm[j] <- tm[j] - h
    A[, j] <- (colMeans(b$g(tp)) - colMeans(b$g(tm))) / (2 * h)
  }
  IF <- -G %*% t(solve(A))  # n x p
  list(att = sum(b$grad * th), psi = drop(IF %*% b$grad))
}

# ---------------------------------------------------------------- group-time cells
att_gt <- function(df, unit_ids, method, control, cov) {
  tl <- sort(unique(df$year))
  G <- df$first.treat
  gl <- sort(unique(G[G > 0]))
  units <- sort(unique(unit_ids))
  n <- length(units)
  uidx <- match(unit_ids, units)
  cells <- list()
  for (g in gl) {
    for (ti in 2:length(tl)) {
      t <- tl[ti]
      base <- if (t >= g) max(tl[tl < g]) else tl[ti - 1]
      treat <- G == g
      ctrl <- if (control == "never") G == 0 else (G == 0 | (G > max(t, base) & G != g))
      sel <- (treat | ctrl) & (df$year == t | df$year == base)
      X <- if (is.null(cov)) matrix(1, sum(sel), 1) else cbind(1, as.matrix(df[sel, cov, drop = FALSE]))
      r <- did_2x2(df$lemp[sel], as.numeric(df$year[sel] == t), as.numeric(treat[sel]), X, method)
      psi <- numeric(n)
      contrib <- rowsum(r$psi * n / sum(sel), uidx[sel])  # sum within unit (rows for RC)
      psi[as.integer(rownames(contrib))] <- contrib[, 1]
      cells[[length(cells) + 1]] <- list(group = g, time = t, att = r$att, psi = psi)
    }
  }
  # cohort of each observation unit (rows for RC, units for panels)
  G_unit <- tapply(G, uidx, function(v) v[1])
  list(cells = cells, n = n, G_unit = as.numeric(G_unit))
}

# Weighted average of cells with cohort-share weights pg_k / sum(pg) and its
# influence function: sum_k w_k psi_k + sum_k ATT_k * IF(w_k), where
# IF(pg_k) = 1{G_i = g_k} - pg_k and IF(w_k) = IF(pg_k)/S - pg_k * sum_j IF(pg_j) / S^2.
share_avg <- function(fit, cells) {
  n <- fit$n
  pg <- sapply(cells, function(c) mean(fit$G_unit == c$group))
  S <- sum(pg)
  w <- pg / S
  att <- sapply(cells, `[[`, "att")
  Psi <- matrix(sapply(cells, `[[`, "psi"), nrow = n)
  Ipg <- matrix(sapply(cells, function(c) as.numeric(fit$G_unit == c$group)), nrow = n) -
    matrix(pg, n, length(pg), byrow = TRUE)
  Iw <- Ipg / S - (rowSums(Ipg) %o% pg) / S^2
  list(att = sum(w * att), inf = drop(Psi %*% w + Iw %*% att))
}
se_of <- function(fit, inf) sqrt(sum(inf^2)) / fit$n

# The four aggregations of Callaway & Sant'Anna (2021, Section 4): overall row
# first, then one row per event time / cohort / calendar period: c(value, att, se).
aggregations <- function(fit) {
  cells <- fit$cells
  grp <- sapply(cells, `[[`, "group"); tim <- sapply(cells, `[[`, "time")
  is_post <- tim >= grp
  out <- list()
  s <- share_avg(fit, cells[is_post])
  out$simple <- list(c(NA, s$att, se_of(fit, s$inf)))
  # dynamic: event time e = t - g, cohort-share weights within e; overall = mean over e >= 0
  es <- sort(unique(tim - grp))
  per <- lapply(es, function(e) share_avg(fit, cells[tim - grp == e]))
  pos <- es >= 0
  inf <- Reduce(`+`, lapply(per[pos], `[[`, "inf")) / sum(pos)
  out$dynamic <- c(list(c(NA, mean(sapply(per[pos], `[[`, "att")), se_of(fit, inf))),
                   lapply(seq_along(es), function(i) c(es[i], per[[i]]$att, se_of(fit, per[[i]]$inf))))
  # group: equal-weight mean of a cohort's post cells; overall weights cohorts by their shares
  gl <- sort(unique(grp))
  theta <- sapply(gl, function(g) mean(sapply(cells[is_post & grp == g], `[[`, "att")))
  infg <- sapply(gl, function(g) rowMeans(matrix(sapply(cells[is_post & grp == g], `[[`, "psi"), nrow = fit$n)))
  pgg <- sapply(gl, function(g) mean(fit$G_unit == g))
  S <- sum(pgg)
  Ipg <- sapply(gl, function(g) as.numeric(fit$G_unit == g)) - matrix(pgg, fit$n, length(gl), byrow = TRUE)
  inf <- drop(infg %*% (pgg / S) + (Ipg / S - (rowSums(Ipg) %o% pgg) / S^2) %*% theta)
  out$group <- c(list(c(NA, sum(pgg / S * theta), se_of(fit, inf))),
                 lapply(seq_along(gl), function(i) c(gl[i], theta[i], se_of(fit, infg[, i]))))
  # calendar: periods t >= first cohort, post cells of time t with cohort-share weights; overall = mean
  tl <- sort(unique(tim[tim >= min(gl)]))
  per <- lapply(tl, function(t) share_avg(fit, cells[is_post & tim == t]))
  inf <- Reduce(`+`, lapply(per, `[[`, "inf")) / length(per)
  out$calendar <- c(list(c(NA, mean(sapply(per, `[[`, "att")), se_of(fit, inf))),
                    lapply(seq_along(tl), function(i) c(tl[i], per[[i]]$att, se_of(fit, per[[i]]$inf))))
  out
}

# ---------------------------------------------------------------- run
results <- list()
for (name in names(designs)) {
  spec <- designs[[name]]
  df <- mp[spec$rows + 1, ]
  ids <- if (spec$unit == "row") spec$rows else df$countyreal
  for (method in c("dr", "ipw", "reg")) {
    for (control in c("never", "notyet")) {
      for (cv in list(NULL, "lpop")) {
        fit <- att_gt(df, ids, method, control, cv)
        se <- sapply(fit$cells, function(c) sqrt(sum(c$psi^2)) / fit$n)
        results[[length(results) + 1]] <- list(
          design = name, method = method, control = control, covariates = if (is.null(cv)) list() else list(cv),
          att_gt = lapply(seq_along(fit$cells), function(i) {
            c <- fit$cells[[i]]
            c(c$group, c$time, c$att, se[i])
          }),
          aggregations = aggregations(fit)
        )
      }
    }
  }
}
out <- list(meta = list(generator = paste("base", R.version.string, "+ jsonlite", packageVersion("jsonlite")),
                        script = "tests/reference/effects/drdid_rc_base.R",
                        designs = "tests/reference/effects/rc_designs.json"),
            results = results)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"), file.path(here, "drdid_rc_base.json"))
cat(length(results), "fits written\n")
