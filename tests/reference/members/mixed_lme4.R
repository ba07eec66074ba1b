# Reference for fusion_study.members.points_predict_satisfaction: random-intercept model
# sat ~ bps + factor(wave) + (1 | branch), REML, lme4::lmer.
# Run: Rscript mixed_lme4.R  (writes mixed_data.csv and mixed_lme4.csv)
suppressMessages(library(lme4))
set.seed(20240101)
nb <- 25; waves <- c("2024Q1", "2024Q2", "2024Q3")
bp <- expand.grid(branch = sprintf("B%02d", 1:nb), wave = waves, stringsAsFactors = FALSE)
bp$points <- rnorm(nrow(bp))
u <- setNames(rnorm(nb, 0, 4), sprintf("B%02d", 1:nb))
rows <- bp[rep(seq_len(nrow(bp)), each = 12), ]
rows$customer <- paste0(rows$branch, "_R", rep(1:12, times = nrow(bp)))
rows$sat <- 60 + 3 * rows$points + u[rows$branch] + 2 * (rows$wave == "2024Q3") + rnorm(nrow(rows), 0, 8)
write.csv(rows, "mixed_data.csv", row.names = FALSE)
bp$bps <- (bp$points - mean(bp$points)) / sd(bp$points)
d <- merge(rows, bp[, c("branch", "wave", "bps")])
m <- lmer(sat ~ bps + factor(wave) + (1 | branch), data = d, REML = TRUE)
out <- data.frame(term = "bps", coef = fixef(m)[["bps"]], se = sqrt(diag(vcov(m)))[2],
                  branch_variance = as.data.frame(VarCorr(m))$vcov[1],
                  residual_variance = sigma(m)^2, n = nrow(d))
write.csv(out, "mixed_lme4.csv", row.names = FALSE)
cat("lme4", as.character(packageVersion("lme4")), "\n", file = "versions.txt", append = TRUE)
