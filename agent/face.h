/*
 * The face engine: the networks of face-api 1.7.15 on XNNPACK, with its
 * pre- and post-processing reproduced exactly, quirks included, and the
 * pipeline detect -> landmarks -> dlib-style crop -> 128-D descriptor.
 */
#ifndef FACE_H
#define FACE_H

#include <stddef.h>

#include <pthreadpool.h>

#include "image.h"
#include "nn.h"
#include "prep.h"
#include "weights.h"

#define FACE_LANDMARKS		68
#define FACE_DESCRIPTOR		128
#define FACE_MATCH_THRESHOLD	0.6

/* A detection in image pixels; not clipped to the image. */
struct face_box {
	double	x;
	double	y;
	double	w;
	double	h;
	double	score;
};

struct face {
	struct face_box	box;
	double		landmarks[FACE_LANDMARKS][2];
	float		descriptor[FACE_DESCRIPTOR];
};

enum face_detector {
	FACE_DETECTOR_TINY,
	FACE_DETECTOR_SSD,
};

/* face-tiny.c */
#define TINY_GRID_CHANNELS	25
struct tiny_detector;
/* SCRATCH is shared with the engine's other nets and must outlive it. */
struct tiny_detector *tiny_detector_new(struct weights *, struct nn_scratch *);
void		 tiny_detector_free(struct tiny_detector *);
/* Raw output (g x g x 25) for an already normalised input tensor. */
int		 tiny_detector_forward(struct tiny_detector *,
		     const struct nn_tensor *in, struct nn_tensor *out,
		     pthreadpool_t);
/* Detects faces: decoded, thresholded (score > MIN_SCORE) and NMS'd. */
int		 tiny_detector_detect(struct tiny_detector *,
		     const struct image *, int input_size, double min_score,
		     struct face_box **boxes, int *nboxes, pthreadpool_t);

/* face-ssd.c */
#define SSD_INPUT_SIZE		512
#define SSD_ANCHORS		5118
struct ssd_detector;
struct ssd_detector *ssd_detector_new(struct weights *, struct nn_scratch *);
void		 ssd_detector_free(struct ssd_detector *);
/*
 * Raw output for an already normalised 512 x 512 input: BOXES gets the
 * decoded [ymin, xmin, ymax, xmax] of each anchor (5118 x 4) and SCORES
 * sigmoid(logit 1) (5118).
 */
int		 ssd_detector_forward(struct ssd_detector *,
		     const struct nn_tensor *in, float *boxes, float *scores,
		     pthreadpool_t);
int		 ssd_detector_detect(struct ssd_detector *,
		     const struct image *, double min_score, int max_results,
		     struct face_box **boxes, int *nboxes, pthreadpool_t);

/* face-landmark.c */
struct landmark_net;
/* TINY selects FaceLandmark68TinyNet over FaceLandmark68Net. */
struct landmark_net *landmark_net_new(struct weights *, int tiny);
void		 landmark_net_free(struct landmark_net *);
/*
 * Net output for a normalised 112 x 112 input, post-processed as face-api
 * does for a crop of CROP_W x CROP_H: 68 (x, y) relative to the crop.
 */
int		 landmark_net_forward(struct landmark_net *,
		     const struct nn_tensor *in, int crop_w, int crop_h,
		     float rel[2 * FACE_LANDMARKS], pthreadpool_t);
/*
 * Landmarks of the face in BOX, in image pixels, and the size of the crop
 * they came from. Returns 0, 1 if the crop is empty (no face to measure),
 * or -1 if the net failed.
 */
int		 landmark_net_run(struct landmark_net *, const struct image *,
		     const struct face_box *box, double pts[FACE_LANDMARKS][2],
		     int *crop_w, int *crop_h, pthreadpool_t);

/* face-recog.c */
struct recog_net;
struct recog_net *recog_net_new(struct weights *);
void		 recog_net_free(struct recog_net *);
/* Descriptor of a normalised 150 x 150 input. */
int		 recog_net_forward(struct recog_net *, const struct nn_tensor *in,
		     float desc[FACE_DESCRIPTOR], pthreadpool_t);
/*
 * The dlib-style square of face-api's alignment (no rotation) from 68
 * landmarks found in a CROP_W x CROP_H crop, clipped to the image. Returns
 * -1 if it is empty.
 */
int		 recog_align(const double pts[FACE_LANDMARKS][2], int crop_w,
		     int crop_h, int img_w, int img_h, struct prep_rect *);
/* Descriptor of the face with landmarks PTS found in a CROP_W x CROP_H crop. */
int		 recog_net_run(struct recog_net *, const struct image *,
		     const double pts[FACE_LANDMARKS][2], int crop_w, int crop_h,
		     float desc[FACE_DESCRIPTOR], pthreadpool_t);

/* face.c */
struct face_engine_opts {
	enum face_detector	detector;
	int			input_size;	/* tiny detector, multiple of 32 */
	double			min_score;
	int			max_results;	/* ssd detector */
	int			tiny_landmarks;
	int			threads;	/* 0: one per core */
};
struct face_engine;
void		 face_engine_default_opts(struct face_engine_opts *);
struct face_engine *face_engine_new(const char *models,
		     const struct face_engine_opts *, char **cause);
void		 face_engine_free(struct face_engine *);
/* Finds every face of IMG with landmarks and descriptor, in face-api's order. */
int		 face_engine_analyze(struct face_engine *, const struct image *,
		     struct face **faces, int *nfaces, char **cause);
/* Euclidean distance between two descriptors. */
double		 face_distance(const float *, const float *);

#endif
