# Reference values for fusion_study.problems (Kaplan-Meier, median and CI, Cox with clustering).
# Run: Rscript survival_reference.R  (writes the CSV files beside this script)
# (1) survival::veteran (published data, Kalbfleisch & Prentice) exported to veteran.csv;
# (2) a clustered ticket-like dataset with tied integer days simulated here (tickets_clustered.csv).
suppressMessages(library(survival))
v <- survival::veteran
write.csv(v, "veteran.csv", row.names = FALSE)

set.seed(20240101)
nb <- 30
branch <- rep(sprintf("B%02d", 1:nb), each = 15)
frail <- rep(rnorm(nb, 0, 0.4), each = 15)
launch <- rep(rbinom(nb, 1, 0.5), each = 15)
cat_ <- sample(c("urgent", "difficult", "worry", "expectation"), length(branch), replace = TRUE)
rate <- 1 / 20 * exp(log(1.8) * launch + frail + 0.3 * (cat_ == "urgent"))
t <- ceiling(rexp(length(branch), rate))
cens <- sample(20:120, length(branch), replace = TRUE)
time <- pmin(t, cens)
status <- as.integer(t <= cens)
tk <- data.frame(branch, launch, category = cat_, time, status)
write.csv(tk, "tickets_clustered.csv", row.names = FALSE)

km_rows <- function(fit, label, conf_type) {
  s <- summary(fit, censored = FALSE)
  strata <- if (is.null(s$strata)) rep("all", length(s$time)) else as.character(s$strata)
  data.frame(dataset = label, conf_type = conf_type, strata = strata, time = s$time,
             n_risk = s$n.risk, n_event = s$n.event, surv = s$surv, std_err = s$std.err,
             lower = s$lower, upper = s$upper)
}
med_rows <- function(fit, label, conf_type) {
  q <- quantile(fit, probs = 0.5)
  st <- if (is.null(names(fit$strata))) "all" else names(fit$strata)
  data.frame(dataset = label, conf_type = conf_type, strata = st,
             median = as.numeric(q$quantile), lower = as.numeric(q$lower), upper = as.numeric(q$upper))
}
km <- list(); med <- list()
for (ct in c("log", "log-log", "plain")) {
  f1 <- survfit(Surv(time, status) ~ trt, data = v, conf.type = ct)
  f2 <- survfit(Surv(time, status) ~ launch, data = tk, conf.type = ct)
  f3 <- survfit(Surv(time, status) ~ 1, data = tk, conf.type = ct)
  km[[length(km) + 1]] <- km_rows(f1, "veteran", ct)
  km[[length(km) + 1]] <- km_rows(f2, "tickets", ct)
  km[[length(km) + 1]] <- km_rows(f3, "tickets_all", ct)
  med[[length(med) + 1]] <- med_rows(f1, "veteran", ct)
  med[[length(med) + 1]] <- med_rows(f2, "tickets", ct)
  med[[length(med) + 1]] <- med_rows(f3, "tickets_all", ct)
}
write.csv(do.call(rbind, km), "km_survfit.csv", row.names = FALSE)
write.csv(do.call(rbind, med), "km_median.csv", row.names = FALSE)

cox <- list()
m1 <- coxph(Surv(time, status) ~ trt + karno + age, data = v, ties = "breslow")
m2 <- coxph(Surv(time, status) ~ launch + cluster(branch), data = tk, ties = "breslow")
m3 <- coxph(Surv(time, status) ~ launch + I(category == "urgent") + cluster(branch), data = tk, ties = "breslow")
for (nm in c("m1", "m2", "m3")) {
  m <- get(nm)
  cox[[nm]] <- data.frame(model = nm, term = names(coef(m)), coef = unname(coef(m)),
                          se = sqrt(diag(m$var)),
                          naive_se = if (is.null(m$naive.var)) sqrt(diag(m$var)) else sqrt(diag(m$naive.var)),
                          loglik = m$loglik[2])
}
write.csv(do.call(rbind, cox), "coxph.csv", row.names = FALSE)
cat("survival", as.character(packageVersion("survival")), "\n", file = "versions.txt")
cat(R.version.string, "\n", file = "versions.txt", append = TRUE)
