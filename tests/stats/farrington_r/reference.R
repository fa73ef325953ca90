# R's surveillance::farringtonFlexible on series.csv, under the settings in settings.csv:
# writes reference_output.csv (unit, period, setting, expected, upper, alarm) for
# tests/stats/test_farrington_r.py. Run from the repository root:
#   Rscript tests/stats/farrington_r/reference.R
# Debian: apt-get install r-cran-surveillance. The output records R's and the package's versions.
suppressPackageStartupMessages(library(surveillance))
here <- "tests/stats/farrington_r"
d <- read.csv(file.path(here, "series.csv"), stringsAsFactors = FALSE)
settings <- read.csv(file.path(here, "settings.csv"), stringsAsFactors = FALSE)
units <- unique(d$unit)
dates <- as.Date(unique(d$period))
obs <- sapply(units, function(u) d$count[d$unit == u])
n <- length(dates)
rows <- list()
for (i in seq_len(nrow(settings))) {
  s <- settings[i, ]
  series <- sts(observed = obs, epoch = dates, frequency = 52)
  control <- list(range = (n - s$evaluate_last + 1):n, b = s$b, w = s$w, alpha = s$alpha,
                  noPeriods = s$noPeriods, pastWeeksNotIncluded = s$pastWeeksNotIncluded,
                  reweight = TRUE, weightsThreshold = 2.58, pThresholdTrend = 0.05,
                  trend = TRUE, limit54 = c(5, 4), powertrans = "2/3",
                  thresholdMethod = s$thresholdMethod, populationOffset = FALSE,
                  fitFun = "algo.farrington.fitGLM.flexible")
  res <- farringtonFlexible(series, control = control)
  up <- upperbound(res)
  ex <- res@control$expected
  al <- alarms(res)
  ev <- dates[control$range]
  for (u in seq_along(units)) {
    rows[[length(rows) + 1]] <- data.frame(
      setting = s$name, unit = units[u], period = format(ev),
      expected = ex[, u], upper = up[, u], alarm = al[, u])
  }
}
out <- do.call(rbind, rows)
header <- sprintf("# R %s, surveillance %s", paste(R.version$major, R.version$minor, sep = "."),
                  as.character(packageVersion("surveillance")))
con <- file(file.path(here, "reference_output.csv"), "w")
writeLines(header, con)
write.csv(out, con, row.names = FALSE, na = "")
close(con)
