# Reference values for fusion_study.survey.fay_herriot.FayHerriot from R sae 1.3 (eblupFH, mseFH).
# sae is not packaged for Debian: install it from its CRAN GitHub mirror into a private library, e.g.
#   git clone https://github.com/cran/sae && R CMD INSTALL -l /tmp/rlib sae
# then run from this folder: R_LIBS=/tmp/rlib Rscript make_fay_herriot_reference.R
# Data: sae's `milk` (Arora & Lahiri 1997: 43 small areas, yi with SD, MajorArea; written to milk.csv) and
# example_branch_direct.csv (direct branch estimates of the bundled example study, export_example_calibration.py).
# Writes fay_herriot_reference.json: per case, sigma2_u, beta (and SE), eblup and mse per area.
suppressMessages({library(sae); library(jsonlite)})
data(milk)
milk$var <- milk$SD^2
write.csv(milk, "milk.csv", row.names = FALSE)
ex <- read.csv("example_branch_direct.csv")
ex$var <- ex$se^2
run <- function(formula, data, method) {
  fit <- eval(bquote(mseFH(.(formula), var, method = .(method), MAXITER = 1000, PRECISION = 1e-13, data = data)))
  est <- fit$est
  stopifnot(est$fit$convergence)
  list(method = method, sigma2_u = est$fit$refvar, beta = unname(est$fit$estcoef$beta),
       beta_se = unname(est$fit$estcoef$std.error), beta_names = rownames(est$fit$estcoef),
       eblup = unname(as.vector(est$eblup)), mse = unname(fit$mse), iterations = est$fit$iterations)
}
cases <- list()
for (m in c("REML", "ML", "FH")) {
  cases[[paste0("milk_", m)]] <- c(list(data = "milk.csv", y = "yi", se = "SD", covariates = "MajorArea"),
                                   run(yi ~ as.factor(MajorArea), milk, m))
  cases[[paste0("example_", m)]] <- c(list(data = "example_branch_direct.csv", y = "estimate", se = "se",
                                           covariates = c("county_id", "log_customers")),
                                      run(estimate ~ county_id + log_customers, ex, m))
}
out <- list(versions = list(R = R.version.string, sae = as.character(packageVersion("sae"))), cases = cases)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "fay_herriot_reference.json")
