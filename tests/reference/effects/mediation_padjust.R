# Reference values for fusion_study.effects.mediation (point estimates) and adjust_pvalues.
# Run from this folder: Rscript mediation_padjust.R   (R lavaan, jsonlite from Debian)
suppressMessages({library(lavaan); library(jsonlite)})
d <- read.csv("mediation_data.csv")
model <- "m ~ a*t + x
          y ~ b*m + c*t + x
          ind := a*b
          tot := c + a*b"
fit <- sem(model, data = d)
pe <- parameterEstimates(fit)
get <- function(l) pe$est[pe$label == l][1]
p <- c(0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216)
out <- list(versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
            a = get("a"), b = get("b"), direct = get("c"), indirect = get("ind"), total = get("tot"),
            p = p, holm = p.adjust(p, "holm"), bh = p.adjust(p, "BH"))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "mediation_padjust.json")
