# Reference values for fusion_study.effects.DoublyRobust without cross-fitting (n_folds=1, trim=0).
# Run from this folder: Rscript aipw_sandwich.R   (base R glm/lm, Debian r-cran-sandwich, r-cran-aer,
# r-cran-jsonlite). Nuisance models: logit propensity score (glm), one OLS outcome model per arm (lm).
# SEs from the sandwich package, not from our formula:
#  * ATE: the AIPW scores phi_i; theta = mean(phi) is the OLS intercept of lm(phi ~ 1), its SE
#    sqrt(vcovHC(type = "HC0")) (the nuisance estimation effect is not included: AIPW is orthogonal);
#  * ATT: theta solves sum_i (a_i - D_i theta) = 0 with a_i = D_i r_i - (1 - D_i) e_i / (1 - e_i) r_i,
#    r_i = y_i - mu0(x_i): the just-identified IV regression ivreg(a ~ 0 + D | 1) (AER), SE from
#    vcovHC(type = "HC0") on it.
suppressMessages({library(sandwich); library(AER); library(jsonlite)})
d <- read.csv("aipw_data.csv")
ps <- glm(d ~ x1 + x2, family = binomial, data = d)
e <- fitted(ps)
mu1 <- predict(lm(y ~ x1 + x2, data = d[d$d == 1, ]), newdata = d)
mu0 <- predict(lm(y ~ x1 + x2, data = d[d$d == 0, ]), newdata = d)
D <- d$d; Y <- d$y
phi <- mu1 - mu0 + D * (Y - mu1) / e - (1 - D) * (Y - mu0) / (1 - e)
ate_fit <- lm(phi ~ 1)
r <- Y - mu0
a <- D * r - (1 - D) * e / (1 - e) * r
att_fit <- ivreg(a ~ 0 + D | 1)
out <- list(
  versions = list(R = R.version.string, sandwich = as.character(packageVersion("sandwich")),
                  AER = as.character(packageVersion("AER"))),
  n = nrow(d),
  ate = unname(coef(ate_fit)[1]), ate_se = sqrt(vcovHC(ate_fit, type = "HC0")[1, 1]),
  att = unname(coef(att_fit)[1]), att_se = sqrt(vcovHC(att_fit, type = "HC0")[1, 1]),
  ps_range = range(e)
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "aipw_sandwich.json")
