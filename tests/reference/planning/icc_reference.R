# Reference values for fusion_study.planning.branch_icc (tests/planning/test_planning_power.py).
# Made with: Rscript tests/reference/planning/icc_reference.R  (R 4.x, psych, jsonlite)
# Reads icc_balanced.csv / icc_unbalanced.csv (written by icc_reference.py), writes icc_reference.json.
#
# * balanced: psych::ICC on the branches x responses matrix (branches as "targets", response
#   position as "judges"): ICC1 (one-way random effects) and its F-based 95% bounds.
# * unbalanced: the between and within mean squares of aov(y ~ branch).
library(psych)
library(jsonlite)
here <- dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE)))
bal <- read.csv(file.path(here, "icc_balanced.csv"))
wide <- do.call(rbind, lapply(split(bal$y, bal$branch_id), function(v) v))
res <- ICC(wide, lmer = FALSE)$results
icc1 <- res[res$type == "ICC1", ]
unb <- read.csv(file.path(here, "icc_unbalanced.csv"))
tab <- summary(aov(y ~ factor(branch_id), data = unb))[[1]]
out <- list(
  balanced = list(icc1 = icc1$ICC, lower = icc1$`lower bound`, upper = icc1$`upper bound`),
  unbalanced = list(msb = tab$`Mean Sq`[1], msw = tab$`Mean Sq`[2], df_between = tab$Df[1], df_within = tab$Df[2])
)
write(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(here, "icc_reference.json"))
