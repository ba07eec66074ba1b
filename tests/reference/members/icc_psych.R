# Reference values for fusion_study.members.icc_table / rater_agreement.
# Run: Rscript icc_psych.R   (writes icc_*.csv / icc_*.json beside this script)
# R psych::ICC on (1) the Shrout & Fleiss (1979) 6 targets x 4 judges example and
# (2) a simulated 40 members x 3 rater types matrix (seeded here, data written out).
suppressMessages(library(psych))
suppressMessages(library(jsonlite))
sf <- matrix(c(9,2,5,8, 6,1,3,2, 8,4,6,8, 7,1,2,6, 10,5,6,9, 6,2,4,7), ncol = 4, byrow = TRUE)
colnames(sf) <- paste0("J", 1:4)
set.seed(20240101)
n <- 40
truth <- rnorm(n, 75, 8)
lenient <- c(customer = 4, peer = 1, leader = -3)
sim <- sapply(lenient, function(b) round(truth + b + rnorm(n, 0, 5), 1))
out <- list()
for (nm in c("sf", "sim")) {
  x <- get(nm)
  write.csv(data.frame(x), sprintf("icc_%s_data.csv", nm), row.names = FALSE)
  r <- ICC(x, lmer = FALSE)$results
  names(r) <- c("type", "ICC", "F", "df1", "df2", "p", "lower", "upper")
  write.csv(r, sprintf("icc_%s_psych.csv", nm), row.names = FALSE)
}
cat("psych", as.character(packageVersion("psych")), "\n", file = "versions.txt")
cat(R.version.string, "\n", file = "versions.txt", append = TRUE)
